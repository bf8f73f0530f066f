import type { Log } from '../ports/log';
import type { AuditCheckpoints, CheckpointWritten } from '../application/audit-checkpoints/audit-checkpoints';

export interface CheckpointHandlerDependencies {
  readonly checkpoints: Pick<AuditCheckpoints, 'write'>;
  /** Epoch ms. */
  readonly now: () => number;
  /** Where outcomes are summarised. */
  readonly log: Log;
}

/**
 * The scheduled (EventBridge) checkpoint writer. The event carries nothing it needs, so it is ignored. A chain
 * that no longer extends its previous anchor is logged as an error (it names tampering, or a bug), and the
 * checkpoint is still written, keeping the old anchor for that chain. A failure to write is thrown, so Lambda
 * counts an error for the alarms; the next run catches up (it anchors the current heads).
 */
export function buildCheckpointHandler(deps: CheckpointHandlerDependencies): () => Promise<CheckpointWritten> {
  const { log } = deps;
  return async () => {
    const written = (await deps.checkpoints.write(deps.now()))!;
    const summary = {
      checkpoint: written.seq,
      chains: written.chains,
      records: written.records,
      flagged: written.flagged,
      location: written.location,
    };
    if (written.flagged.length > 0) {
      log.error('audit chains do not extend the previous checkpoint: verify the trail', summary);
    } else log.info('audit checkpoint written', summary);
    return written;
  };
}
