import { csvLine } from './csv-reader';

/**
 * One login attempt in the RBA dataset's CSV schema (Wiefling et al., ACM TOPS 2022). Derived columns the dataset
 * leaves empty or marks with "-" are `undefined` here.
 */
export interface RbaLogin {
  index: number;
  /** Epoch ms (the dataset's timestamps carry no zone; they are read as UTC). */
  timestamp: number;
  userId: string;
  rttMs?: number;
  ip: string;
  country?: string;
  region?: string;
  city?: string;
  asn?: string;
  userAgent: string;
  browser?: string;
  os?: string;
  deviceType?: string;
  /** Outcome: the password check. Read only after the row was scored. */
  loginSuccessful: boolean;
  /** Threat-feed input (the IP is in a known attacker list), not an outcome. */
  isAttackIp: boolean;
  /** Outcome and ground truth: the incident team called this login an account takeover. */
  isAccountTakeover: boolean;
}

export const RBA_COLUMNS = [
  'index',
  'Login Timestamp',
  'User ID',
  'Round-Trip Time [ms]',
  'IP Address',
  'Country',
  'Region',
  'City',
  'ASN',
  'User Agent String',
  'Browser Name and Version',
  'OS Name and Version',
  'Device Type',
  'Login Successful',
  'Is Attack IP',
  'Is Account Takeover',
] as const;

const REQUIRED = ['Login Timestamp', 'User ID', 'IP Address', 'User Agent String'] as const;

export class RbaFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

type Column = (typeof RBA_COLUMNS)[number];

/** Column positions, from the header row (the columns may come in any order; unknown ones are ignored). */
export class RbaHeader {
  private readonly at: Partial<Record<Column, number>> = {};

  constructor(fields: readonly string[]) {
    fields.forEach((name, i) => {
      const trimmed = name.trim().replace(/^\uFEFF/, '');
      if ((RBA_COLUMNS as readonly string[]).includes(trimmed)) this.at[trimmed as Column] = i;
    });
    const missing = REQUIRED.filter((c) => this.at[c] === undefined);
    if (missing.length > 0) {
      throw new RbaFormatError(`not the RBA dataset's schema: missing column(s) ${missing.join(', ')}`, 1);
    }
  }

  has(column: Column): boolean {
    return this.at[column] !== undefined;
  }

  get(fields: readonly string[], column: Column): string {
    const i = this.at[column];
    return i === undefined ? '' : (fields[i] ?? '');
  }
}

function optional(value: string): string | undefined {
  const v = value.trim();
  return v === '' || v === '-' ? undefined : v;
}

function bool(value: string, column: string, line: number): boolean {
  switch (value.trim()) {
    case 'True':
    case 'true':
    case 'TRUE':
    case '1':
      return true;
    case 'False':
    case 'false':
    case 'FALSE':
    case '0':
    case '':
      return false;
    default:
      throw new RbaFormatError(`${column} must be True or False, got "${value}"`, line);
  }
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * "2020-02-03 12:43:30.772" (the dataset's form), ISO-8601 with T/Z, or epoch milliseconds. Hand-parsed for the
 * common form because Date.parse dominates the cost of a row on the 31 M-row file.
 */
export function parseTimestamp(text: string): number {
  const s = text.trim();
  if (/^\d{12,14}$/.test(s)) return Number(s);
  if (s.length >= 19 && s[4] === '-' && s[7] === '-' && (s[10] === ' ' || s[10] === 'T') && s[13] === ':') {
    const rest = s.slice(19);
    let ms = 0;
    let zoneless = rest === '' || rest === 'Z';
    const frac = /^\.(\d{1,9})Z?$/.exec(rest);
    if (frac?.[1] !== undefined) {
      ms = Math.floor(Number(`0.${frac[1]}`) * 1000 + 1e-6);
      zoneless = true;
    }
    if (zoneless) {
      const t = Date.UTC(
        digits(s, 0, 4),
        digits(s, 5, 2) - 1,
        digits(s, 8, 2),
        digits(s, 11, 2),
        digits(s, 14, 2),
        digits(s, 17, 2),
        ms,
      );
      if (Number.isFinite(t)) return t;
    }
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : NaN;
}

export function parseRbaRecord(header: RbaHeader, fields: readonly string[], line: number, ordinal: number): RbaLogin {
  const g = (c: Column) => header.get(fields, c);
  const timestamp = parseTimestamp(g('Login Timestamp'));
  if (!Number.isFinite(timestamp)) throw new RbaFormatError(`bad Login Timestamp "${g('Login Timestamp')}"`, line);
  const userId = g('User ID').trim();
  if (userId === '') throw new RbaFormatError('empty User ID', line);
  const indexText = g('index').trim();
  const index = indexText === '' ? ordinal : Number(indexText);
  if (!Number.isSafeInteger(index)) throw new RbaFormatError(`bad index "${indexText}"`, line);
  const rtt = optional(g('Round-Trip Time [ms]'));
  const row: RbaLogin = {
    index,
    timestamp,
    userId,
    ip: g('IP Address').trim(),
    userAgent: g('User Agent String'),
    loginSuccessful: bool(g('Login Successful'), 'Login Successful', line),
    isAttackIp: bool(g('Is Attack IP'), 'Is Attack IP', line),
    isAccountTakeover: bool(g('Is Account Takeover'), 'Is Account Takeover', line),
  };
  if (rtt !== undefined && Number.isFinite(Number(rtt))) row.rttMs = Number(rtt);
  const country = optional(g('Country'));
  if (country !== undefined) row.country = country;
  const region = optional(g('Region'));
  if (region !== undefined) row.region = region;
  const city = optional(g('City'));
  if (city !== undefined) row.city = city;
  const asn = optional(g('ASN'));
  if (asn !== undefined) row.asn = asn;
  const browser = optional(g('Browser Name and Version'));
  if (browser !== undefined) row.browser = browser;
  const os = optional(g('OS Name and Version'));
  if (os !== undefined) row.os = os;
  const deviceType = optional(g('Device Type'));
  if (deviceType !== undefined) row.deviceType = deviceType;
  return row;
}

function formatTimestamp(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

const bools = (b: boolean) => (b ? 'True' : 'False');

/** One CSV line in the dataset's column order (header: `csvLine(RBA_COLUMNS)`). */
export function formatRbaRow(row: RbaLogin): string {
  return csvLine([
    String(row.index),
    formatTimestamp(row.timestamp),
    row.userId,
    row.rttMs === undefined ? '' : row.rttMs.toFixed(1),
    row.ip,
    row.country ?? '-',
    row.region ?? '-',
    row.city ?? '-',
    row.asn ?? '',
    row.userAgent,
    row.browser ?? '',
    row.os ?? '',
    row.deviceType ?? '',
    bools(row.loginSuccessful),
    bools(row.isAttackIp),
    bools(row.isAccountTakeover),
  ]);
}
