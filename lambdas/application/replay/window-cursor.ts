import { InvalidCursorError, type CursorCodec } from '../../core/paging/signed-cursor';
import type { TimeWindow } from '../../ports/admin-event-store';
import { InvalidInputError } from '../errors';
import { DAY_MS, MAX_WINDOW_DAYS } from './time-window';

/**
 * Cursors of chunked reads (simulate, shadow report, events export) carry their window, so that continuing is "send
 * the cursor back" and a default window ("the last 7 days") cannot drift between calls. Sealed with the one signed
 * cursor codec, under a scope of their own.
 */
const CHUNK_CURSOR = 'admin.chunk';

export async function sealWindowCursor(
  cursors: CursorCodec,
  window: TimeWindow,
  inner: string | undefined,
): Promise<string | undefined> {
  if (inner === undefined) return undefined;
  return cursors.seal(CHUNK_CURSOR, { f: window.from, t: window.to, c: inner });
}

/** The window and the store's own cursor inside a cursor this API produced; bad input naming `cursor` otherwise. */
export async function openWindowCursor(
  cursors: CursorCodec,
  cursor: string | undefined,
): Promise<{ window: TimeWindow; inner: string } | undefined> {
  if (cursor === undefined) return undefined;
  let parsed: { f?: unknown; t?: unknown; c?: unknown } = {};
  try {
    parsed = ((await cursors.open(CHUNK_CURSOR, cursor)) as typeof parsed | null) ?? {};
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    // reported below, as any other cursor this API did not produce
  }
  const { f, t, c } = parsed ?? {};
  if (
    typeof f !== 'number' ||
    typeof t !== 'number' ||
    typeof c !== 'string' ||
    !(f < t) ||
    t - f > MAX_WINDOW_DAYS * DAY_MS
  ) {
    throw new InvalidInputError('cursor: not a cursor this API produced', 'cursor');
  }
  return { window: { from: f, to: t }, inner: c };
}
