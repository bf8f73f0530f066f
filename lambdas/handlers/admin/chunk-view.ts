import type { ReplayedChunk } from '../../application/replay/simulate';
import { progressOf } from '../../application/replay/time-window';
import type { ReplayChunkResponse } from './responses';

/** One chunk of a replay as the client reads it: `complete` until no cursor is left, and how far it got. */
export function chunkView(replayed: ReplayedChunk): ReplayChunkResponse {
  return {
    complete: replayed.cursor === undefined,
    ...(replayed.cursor ? { cursor: replayed.cursor } : {}),
    progress: progressOf(replayed.window, replayed.chunk.position),
    report: replayed.report,
  };
}
