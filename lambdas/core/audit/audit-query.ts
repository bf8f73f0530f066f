import { StepgateError } from '../errors';

/** A query parameter of an audit read is invalid; `field` names it (`from`, `to`, `limit`, `cursor`, `subject`). */
export class InvalidAuditQueryError extends StepgateError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('invalid_request', `${field}: ${message}`);
  }
}

/** A half-open UTC time range [from, to) in epoch milliseconds. */
export interface AuditTimeRange {
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_EXPORT_LIMIT = 500;
/** A Lambda response is at most 6 MB; records are ~1 KB, so a page stays well below it. */
export const MAX_EXPORT_LIMIT = 1000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;
/** Longest range one query may span; beyond it a request is almost certainly a typo in a year. */
export const MAX_RANGE_DAYS = 3_700;

function parseInstant(raw: string, field: string, endOfDay: boolean): number {
  if (DATE_ONLY.test(raw)) {
    const t = Date.parse(`${raw}T00:00:00.000Z`);
    if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== raw) {
      throw new InvalidAuditQueryError(field, `"${raw.slice(0, 40)}" is not a calendar date`);
    }
    // A date-only `to` means "through that day": auditors write --from 2024-01-01 --to 2024-01-31 for January.
    return endOfDay ? t + DAY_MS : t;
  }
  const t = DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(t)) {
    throw new InvalidAuditQueryError(
      field,
      'must be an ISO-8601 date (2024-01-31) or date-time with zone (2024-01-31T12:00:00Z)',
    );
  }
  return t;
}

/**
 * Parses the `from` / `to` of an audit read: `from` is required and inclusive; `to` is exclusive and defaults to
 * `now`; a date-only `to` includes that whole UTC day. Throws InvalidAuditQueryError naming the bad parameter.
 */
export function parseAuditRange(from: string | undefined, to: string | undefined, now: number): AuditTimeRange {
  if (from === undefined || from === '')
    throw new InvalidAuditQueryError('from', 'required (ISO-8601 date or date-time)');
  const fromMs = parseInstant(from, 'from', false);
  const toMs = to === undefined || to === '' ? now : parseInstant(to, 'to', true);
  if (toMs <= fromMs) throw new InvalidAuditQueryError('to', 'must be after from');
  if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS)
    throw new InvalidAuditQueryError('to', `range longer than ${MAX_RANGE_DAYS} days`);
  return { from: fromMs, to: toMs };
}

/** Parses an optional page size within [1, max]; absent means `fallback`. */
export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new InvalidAuditQueryError('limit', `must be an integer from 1 to ${max}`);
  }
  return n;
}
