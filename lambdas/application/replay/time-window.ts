import { z } from 'zod';
import type { TimeWindow } from '../../ports/admin-event-store';
import { InvalidInputError } from '../errors';

export const DAY_MS = 86_400_000;
/** Longest window one replay or export may span: the risk table keeps decisions about this long. */
export const MAX_WINDOW_DAYS = 400;
/** The window when the client names none: the last week. */
const DEFAULT_WINDOW_MS = 7 * DAY_MS;

const isoDateTime = z.iso.datetime({ offset: true });

function instant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!isoDateTime.safeParse(value).success || !Number.isFinite(t)) {
    throw new InvalidInputError(`${field}: must be an ISO-8601 date-time, e.g. 2026-11-29T10:00:00Z`, field);
  }
  return t;
}

/** `[from, to)` from the client's ISO-8601 bounds: `to` defaults to now, `from` to a week before `to`. */
export function windowOf(from: string | undefined, to: string | undefined, now: number): TimeWindow {
  const end = instant(to, 'to') ?? now;
  const start = instant(from, 'from') ?? end - DEFAULT_WINDOW_MS;
  if (start >= end) throw new InvalidInputError('from: must be before to', 'from');
  if (end - start > MAX_WINDOW_DAYS * DAY_MS) {
    throw new InvalidInputError(`from: the window may span at most ${MAX_WINDOW_DAYS} days`, 'from');
  }
  return { from: start, to: end };
}

/** How far a chunked read has come, as the client sees it. */
export function progressOf(window: TimeWindow, position: number) {
  return {
    from: new Date(window.from).toISOString(),
    to: new Date(window.to).toISOString(),
    position: new Date(Math.min(window.to, Math.max(window.from, position))).toISOString(),
  };
}
