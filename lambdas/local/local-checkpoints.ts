import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { FileCheckpointStore } from '../adapters/file-checkpoint-store';
import { NodeCryptoCheckpointSigner } from '../adapters/node-crypto-checkpoint-signer';
import type { CheckpointAnchoring } from '../composition/audit';
import type { AuditCheckpoints, CheckpointWritten } from '../application/audit-checkpoints/audit-checkpoints';
import { CheckpointTakenError } from '../ports/checkpoint';
import type { Log } from '../ports/log';
import { sendJson } from './http-gateway';
import type { LocalService } from './local-wiring';

/** Days local checkpoints are meant to be kept: the default audit retention (a file has no lock to set). */
export const LOCAL_CHECKPOINT_RETENTION_DAYS = 400;

/**
 * Local anchoring, the stand-in for S3 + KMS: the ECDSA P-256 key at `<dir>/checkpoint-signing-key.pem` and
 * checkpoint files under `<dir>/checkpoints/<audit table>/`, in the same object format and names as in S3. The
 * CLI (`stepgate audit checkpoint`, `stepgate audit verify`) finds them at the same place.
 */
export async function localAnchoring(dir: string, auditTable: string): Promise<CheckpointAnchoring> {
  return {
    store: new FileCheckpointStore(localCheckpointDir(dir, auditTable)),
    signer: await NodeCryptoCheckpointSigner.inDirectory(dir),
    retentionDays: LOCAL_CHECKPOINT_RETENTION_DAYS,
  };
}

/** STEPGATE_DATA_DIR, or `.stepgate/` in the current folder: where `npm start` and the CLI keep checkpoints. */
export function localAnchorDir(env: Readonly<Record<string, string | undefined>>): string {
  return path.resolve(env.STEPGATE_DATA_DIR || '.stepgate');
}

export function localCheckpointDir(dir: string, auditTable: string): string {
  return path.join(dir, 'checkpoints', auditTable);
}

/**
 * Writes local checkpoints on a timer (only when a chain moved) and on demand at `POST /local/audit/checkpoint`
 * (always), one at a time. Exists only in the local runtime; in AWS a scheduled Lambda writes them.
 */
export class LocalCheckpointWriter implements LocalService {
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly checkpoints: AuditCheckpoints,
    private readonly now: () => number,
    private readonly log: Log,
  ) {}

  /** One checkpoint, after any in progress; retried once if the CLI wrote the same number meanwhile. */
  write(onlyIfChanged = false): Promise<CheckpointWritten | undefined> {
    const run = async () => {
      try {
        return await this.checkpoints.write(this.now(), { onlyIfChanged });
      } catch (error) {
        if (!(error instanceof CheckpointTakenError)) throw error;
        return this.checkpoints.write(this.now(), { onlyIfChanged });
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    const failed = (error: unknown) =>
      this.log.error('audit checkpoint failed', { error: (error as Error)?.name, detail: (error as Error)?.message });
    this.timer = setInterval(() => void this.write(true).catch(failed), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.queue;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== '/local/audit/checkpoint') return false;
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
      sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'POST' });
      return true;
    }
    const written = await this.write(false);
    sendJson(res, 201, written ?? {}, { 'cache-control': 'no-store' });
    return true;
  }
}
