import { resolve } from 'node:path';
import { AsnTableLocator } from '../adapters/asn-table/asn-table-locator';
import type { NetworkDataInfo, NetworkLocator } from '../ports/network-locator';

/** The setting that turns AS lookups off (an operator's choice, and the benchmark's "without the data"). */
export const NETWORK_DATA_OFF = 'off';

export interface NetworkDataStatus {
  readonly locator?: NetworkLocator;
  /** Whole days between the data's date and `now`: what operators alarm on when nobody refreshed it. */
  readonly ageDays?: number;
  /** The cold start's log line: which data, how old, or why there is none. */
  readonly log: NetworkDataLogLine;
}

export interface NetworkDataLogLine {
  readonly level: 'info' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const DAY_MS = 86_400_000;

export function networkDataAgeDays(info: NetworkDataInfo, now: number): number {
  return Math.max(0, Math.floor((now - Date.parse(`${info.dataDate}T00:00:00Z`)) / DAY_MS));
}

/**
 * Opens the ASN table a process scores with: `setting` is a file (relative to `baseDir`) or
 * {@link NETWORK_DATA_OFF}. A missing or unreadable file does not stop the function: decisions go
 * on without AS numbers, as before this data existed (the familiarity model falls back to address prefixes and
 * `geo.new_network` stays silent), and the cold-start log says so at ERROR level, since a deployment that lost its
 * data is weaker than it claims.
 */
export function openNetworkData(setting: string, now: number, baseDir = process.cwd()): NetworkDataStatus {
  if (setting === NETWORK_DATA_OFF) {
    return { log: { level: 'info', message: 'network data off', fields: { networkData: NETWORK_DATA_OFF } } };
  }
  const file = resolve(baseDir, setting);
  let locator: AsnTableLocator;
  try {
    locator = AsnTableLocator.fromFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return {
      log: {
        level: 'error',
        message: 'network data unavailable: decisions carry no AS numbers',
        fields: { file, reason },
      },
    };
  }
  const ageDays = networkDataAgeDays(locator.info, now);
  return {
    locator,
    ageDays,
    log: { level: 'info', message: 'network data', fields: { networkData: { ...locator.info, ageDays, file } } },
  };
}
