import { InvalidCursorError } from '../../core/paging/signed-cursor';
import { InvalidInputError } from '../errors';

/**
 * How much one call may replay before it answers with a cursor: an HTTP API call is cut at 30 s, and a replay
 * pages through thousands of recorded decisions.
 */
export interface ReplayLimits {
  /** Events replayed per call (default 20,000). */
  readonly chunkEvents: number;
  /** Wall-clock budget per call in ms (default 20,000: well inside the HTTP API's 30 s). */
  readonly budgetMs: number;
  /** Monotonic ms, for the budget. */
  readonly elapsed: () => number;
}

export const DEFAULT_REPLAY_CHUNK_EVENTS = 20_000;
export const DEFAULT_REPLAY_BUDGET_MS = 20_000;
/** Items asked of the store per page: one DynamoDB query returns at most 1 MB anyway. */
const PAGE_ITEMS = 1000;

export interface ReplaySource<T> {
  (page: { limit: number; cursor?: string }): Promise<{ items: readonly T[]; cursor?: string; position: number }>;
}

export interface ReplayChunk {
  /** Where the next call continues; absent when the source is exhausted. */
  readonly cursor?: string;
  /** Epoch ms up to which the source has been read. */
  readonly position: number;
  readonly processed: number;
}

/** A store cursor the client sent back altered (or from another listing) is bad input naming `cursor`. */
export async function cursorSafe<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new InvalidInputError(error.message, 'cursor', { cause: error });
    throw error;
  }
}

/** Reads pages of `read` from `cursor` until the source ends, the chunk size or the time budget is reached. */
export async function replayChunk<T>(
  limits: ReplayLimits,
  read: ReplaySource<T>,
  cursor: string | undefined,
  each: (item: T) => void,
): Promise<ReplayChunk> {
  const started = limits.elapsed();
  let next = cursor;
  let processed = 0;
  let position = 0;
  for (;;) {
    const page = await cursorSafe(
      read({ limit: Math.min(PAGE_ITEMS, limits.chunkEvents - processed), ...(next ? { cursor: next } : {}) }),
    );
    for (const item of page.items) each(item);
    processed += page.items.length;
    position = page.position;
    next = page.cursor;
    if (!next || processed >= limits.chunkEvents || limits.elapsed() - started > limits.budgetMs) break;
  }
  return { ...(next ? { cursor: next } : {}), position, processed };
}
