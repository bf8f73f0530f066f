import {
  anchorsOf,
  CHECKPOINT_ALGORITHM,
  CHECKPOINT_FORMAT,
  CheckpointInvalidError,
  checkpointObjectText,
  encodeCheckpoint,
  followsCheckpoint,
  openCheckpoint,
  type Checkpoint,
  type CheckpointChain,
  type OpenedCheckpoint,
} from '../../core/audit/checkpoint';
import { extendsAnchor, GENESIS_HASH, type AnchoredHead, type ChainBreak } from '../../core/audit/hash-chain';
import type { AuditChainReader, AuditReader, AuditVerificationSummary } from '../../ports/audit-log';
import type { CheckpointSigner, CheckpointStore, StoredCheckpointObject } from '../../ports/checkpoint';

const DAY_MS = 86_400_000;
const READ_CONCURRENCY = 8;
/** The chain id under which problems with the checkpoints themselves are reported. */
export const CHECKPOINT_CHAIN = 'checkpoint';

export interface AuditCheckpointsDependencies {
  readonly chains: AuditChainReader;
  readonly store: CheckpointStore;
  readonly signer: CheckpointSigner;
  /** What is anchored: the audit table's name (written into every checkpoint and checked on reading). */
  readonly trail: string;
  /** Days each checkpoint stays locked against deletion and overwriting; at least the audit retention. */
  readonly retentionDays: number;
}

export interface LatestCheckpoint {
  /** The newest checkpoint that opened (signature and shape good); absent when there is none. */
  readonly latest?: OpenedCheckpoint;
  readonly location?: string;
  /** Problems with the checkpoints walked (`bad_checkpoint`, chain `checkpoint`, the checkpoint's number). */
  readonly breaks: ChainBreak[];
}

export interface CheckpointWritten {
  readonly seq: number;
  readonly at: string;
  readonly chains: number;
  readonly records: number;
  /** Chains whose stored state did not extend their previous anchor (kept at it). */
  readonly flagged: readonly string[];
  readonly location: string;
}

const badCheckpoint = (seq: number): ChainBreak => ({ chain: CHECKPOINT_CHAIN, seq, kind: 'bad_checkpoint' });

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
}

/**
 * Writes and checks signed checkpoints of the audit trail (the format is in core/audit/checkpoint.ts).
 *
 * Writing reads every chain's head and, for a chain that moved, only the records appended since the previous
 * checkpoint, checking that they extend what that checkpoint anchored. A chain that does not (a record rewritten,
 * deleted or moved, the head moved back) keeps its previous anchor and is listed as `flagged`: a checkpoint never
 * vouches for a rewrite of what an earlier one saw, so checking against the latest checkpoint covers them all.
 */
export class AuditCheckpoints {
  constructor(private readonly deps: AuditCheckpointsDependencies) {}

  get location(): string {
    return this.deps.store.location;
  }

  private open(stored: StoredCheckpointObject, publicKey: Uint8Array): OpenedCheckpoint | undefined {
    try {
      return openCheckpoint(stored.text, { seq: stored.seq, trail: this.deps.trail }, publicKey);
    } catch (error) {
      if (error instanceof CheckpointInvalidError) return undefined;
      throw error;
    }
  }

  /**
   * The latest checkpoint, checked: its signature (under the signer's own public key) and its links back through
   * `depth` checkpoints (Infinity: to the first). If the newest is bad it is reported and the newest good one
   * walked past is the anchor.
   */
  async latest(depth = 2): Promise<LatestCheckpoint> {
    const newest = await this.deps.store.latest();
    if (!newest) return { breaks: [] };
    const publicKey = await this.deps.signer.publicKey();
    const breaks: ChainBreak[] = [];
    let anchor: { opened: OpenedCheckpoint; location: string } | undefined;
    let current: StoredCheckpointObject | undefined = newest;
    let opened = this.open(newest, publicKey);
    for (let walked = 1; current; walked += 1) {
      if (!opened) breaks.push(badCheckpoint(current.seq));
      else anchor ??= { opened, location: current.location };
      if (current.seq === 1) {
        if (opened && !followsCheckpoint(opened.checkpoint, undefined)) breaks.push(badCheckpoint(1));
        break;
      }
      // Keep walking past the limit only while no good checkpoint has been found to anchor to.
      if (walked >= depth && anchor) break;
      const previous = await this.deps.store.get(current.seq - 1);
      if (!previous) {
        // Impossible under Object Lock in compliance mode; reported rather than assumed.
        breaks.push(badCheckpoint(current.seq - 1));
        break;
      }
      const previousOpened = this.open(previous, publicKey);
      if (opened && previousOpened && !followsCheckpoint(opened.checkpoint, previousOpened)) {
        breaks.push(badCheckpoint(current.seq));
      }
      current = previous;
      opened = previousOpened;
    }
    const unique = [...new Map(breaks.map((b) => [b.seq, b])).values()].sort((a, b) => a.seq - b.seq);
    return { ...(anchor ? { latest: anchor.opened, location: anchor.location } : {}), breaks: unique };
  }

  /**
   * Takes and stores the next checkpoint at `now` (epoch ms). Refuses to extend a checkpoint chain whose latest
   * link is bad (CheckpointInvalidError). With `onlyIfChanged`, returns undefined instead of writing a checkpoint
   * identical (but for its time) to the latest.
   */
  async write(now: number, options: { onlyIfChanged?: boolean } = {}): Promise<CheckpointWritten | undefined> {
    const { latest, breaks } = await this.latest(2);
    if (breaks.length > 0) {
      const seq = breaks[breaks.length - 1]!.seq;
      throw new CheckpointInvalidError(seq, 'does not verify: refusing to extend the checkpoint chain');
    }
    const previous = latest ? anchorsOf(latest.checkpoint) : new Map<string, AnchoredHead>();
    const ids = [...new Set([...(await this.deps.chains.listChains()), ...previous.keys()])].sort();
    const flagged: string[] = [];
    const entries = await inBatches(ids, READ_CONCURRENCY, async (id): Promise<CheckpointChain | undefined> => {
      const before = previous.get(id);
      const keep = (): CheckpointChain | undefined => {
        flagged.push(id);
        return before ? { id, ...before } : undefined;
      };
      const head = await this.deps.chains.readHead(id);
      // A registry entry without a head is not a chain anyone appended to: nothing to anchor yet.
      if (!head) return before ? keep() : undefined;
      if (before && head.seq === before.seq && head.hash === before.hash) return { id, ...before };
      const records = await this.deps.chains.readSegment(id, before?.seq ?? 1, head.seq);
      if (!extendsAnchor(id, before, head, records, now)) {
        if (before) return keep();
        flagged.push(id);
      }
      const tail = records.find((r) => r.keySeq === head.seq);
      const expiresAt = typeof tail?.expiresAt === 'number' ? tail.expiresAt : head.tailExpiresAt;
      return { id, seq: head.seq, hash: head.hash, ...(expiresAt !== undefined ? { expiresAt } : {}) };
    });
    const chains = entries.filter((e): e is CheckpointChain => e !== undefined);
    if (options.onlyIfChanged && latest && flagged.length === 0 && sameChains(chains, latest.checkpoint.chains)) {
      return undefined;
    }
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      trail: this.deps.trail,
      seq: (latest?.checkpoint.seq ?? 0) + 1,
      at: new Date(now).toISOString(),
      prev: latest?.digest ?? GENESIS_HASH,
      records: chains.reduce((sum, c) => sum + c.seq, 0),
      chains,
      flagged,
    };
    const payload = encodeCheckpoint(checkpoint);
    const signature = await this.deps.signer.sign(Buffer.from(payload, 'utf8'));
    const text = checkpointObjectText({
      format: CHECKPOINT_FORMAT,
      payload,
      algorithm: CHECKPOINT_ALGORITHM,
      keyId: this.deps.signer.keyId,
      signature: Buffer.from(signature).toString('base64'),
    });
    await this.deps.store.put(checkpoint.seq, text, new Date(now + this.deps.retentionDays * DAY_MS));
    return {
      seq: checkpoint.seq,
      at: checkpoint.at,
      chains: chains.length,
      records: checkpoint.records,
      flagged: [...new Set(flagged)].sort(),
      location: this.deps.store.location,
    };
  }

  /** Verifies the trail against the latest checkpoint (see {@link verifyTrail}). */
  verify(reader: AuditReader, now: number, depth = 2): Promise<AuditVerificationSummary> {
    return verifyTrail(reader, this, now, depth);
  }
}

function sameChains(a: readonly CheckpointChain[], b: readonly CheckpointChain[]): boolean {
  const key = (c: CheckpointChain) => `${c.id}:${c.seq}:${c.hash}:${c.expiresAt ?? ''}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}

/**
 * Verifies every chain, against the latest checkpoint when `checkpoints` is given: its chains are looked for even
 * if gone from the registry, each is checked against its anchored head, and problems with the checkpoints
 * themselves are breaks too. `anchor` in the answer says which checkpoint was used, or `null` for none.
 */
export async function verifyTrail(
  reader: AuditReader,
  checkpoints: AuditCheckpoints | undefined,
  now: number,
  depth = 2,
): Promise<AuditVerificationSummary> {
  const {
    latest,
    location,
    breaks: checkpointBreaks,
  } = checkpoints ? await checkpoints.latest(depth) : { latest: undefined, location: undefined, breaks: [] };
  const summary = await reader.verifyAll(now, latest ? anchorsOf(latest.checkpoint) : undefined);
  const breaks = [...checkpointBreaks, ...summary.breaks];
  return {
    ok: breaks.length === 0,
    chains: summary.chains,
    records: summary.records,
    breaks,
    anchor: latest
      ? {
          checkpoint: latest.checkpoint.seq,
          at: latest.checkpoint.at,
          chains: latest.checkpoint.chains.length,
          records: latest.checkpoint.records,
          location: location ?? checkpoints?.location ?? '',
        }
      : null,
  };
}
