import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event';
import { canonicalJson } from './canonical-json';

/**
 * Hash chains over audit records.
 *
 * A chain is a gap-free sequence 1, 2, 3, … of records. Record n stores `prevHash` (record n-1's hash; for record
 * 1 the GENESIS hash of 64 zeros) and
 *
 *   hash = hex(SHA-256(prevHash + "\n" + canonicalJson({ chainId, seq, event, expiresAt, prevExpiresAt })))
 *
 * where canonicalJson is the encoding documented in canonical-json.ts (RFC 8785 for the values we accept) and
 * absent lifetime fields are simply left out of the object. `expiresAt` (this record's TTL, epoch seconds) and
 * `prevExpiresAt` (its predecessor's) are hashed too: they are what lets an expired prefix verify clean, so they
 * must not be editable either. Because the chain id and sequence number are inside the hash, a record copied to
 * another chain or another position no longer matches where it is found.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface RecordLifetime {
  /** Epoch seconds after which TTL may delete this record. */
  readonly expiresAt?: number;
  /** Epoch seconds after which TTL may delete this record's predecessor; absent on record 1. */
  readonly prevExpiresAt?: number;
}

export function hashRecord(
  prevHash: string,
  chainId: string,
  seq: number,
  event: AuditEvent,
  lifetime: RecordLifetime = {},
): string {
  const content = canonicalJson({
    chainId,
    seq,
    event,
    expiresAt: lifetime.expiresAt,
    prevExpiresAt: lifetime.prevExpiresAt,
  });
  return createHash('sha256').update(`${prevHash}\n${content}`, 'utf8').digest('hex');
}

/**
 * A record as read back from storage. `keySeq` is where it was found (parsed from its storage key; undefined
 * when the key is not a well-formed sequence key); every other field is what the stored record says, typed
 * `unknown` because a tampered item may hold anything.
 */
export interface StoredRecord {
  readonly keySeq: number | undefined;
  readonly chainId: unknown;
  readonly seq: unknown;
  readonly prevHash: unknown;
  readonly hash: unknown;
  readonly expiresAt?: unknown;
  readonly prevExpiresAt?: unknown;
  readonly event: unknown;
  /**
   * Whether the attributes storage indexes the record by (its day, its subject) are exactly what its hashed content
   * implies; computed by the adapter that knows the layout. `false` means it was moved in (or out of) an index.
   */
  readonly indexed?: boolean;
}

/** What the chain's head item says the chain holds: its last sequence number and hash. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  /** Epoch seconds at which the last record expires, so a chain whose records all expired still verifies. */
  readonly tailExpiresAt?: number;
}

/**
 * The first five are found from the table alone; `misindexed` too. `rolled_back` needs a checkpoint (the head is
 * behind what a signed checkpoint saw), and `bad_checkpoint` is about the checkpoints themselves (reported with
 * chain `checkpoint` and the checkpoint's own sequence number).
 */
export type ChainBreakKind =
  'edited' | 'deleted' | 'inserted' | 'reordered' | 'gap' | 'misindexed' | 'rolled_back' | 'bad_checkpoint';

/** A chain's head as a signed checkpoint recorded it: what the table must still show (or have extended). */
export interface AnchoredHead {
  readonly seq: number;
  readonly hash: string;
  /** Epoch seconds at which the record at `seq` expires (hashed in it), so its TTL removal is not a deletion. */
  readonly expiresAt?: number;
}

export interface ChainBreak {
  readonly chain: string;
  readonly seq: number;
  readonly kind: ChainBreakKind;
}

export interface ChainVerification {
  readonly chain: string;
  readonly records: number;
  readonly breaks: readonly ChainBreak[];
}

interface Entry {
  readonly key: number;
  /** Position in the chain: the record's own (hashed) seq; for an edited record, where it was found. */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly prevExpiresAt: number | undefined;
  readonly expiresAt: number | undefined;
  readonly edited: boolean;
}

const optionalNumber = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

/** Whether a stored record is well formed and its content still hashes to its stored hash. */
export function selfConsistent(r: StoredRecord): boolean {
  if (typeof r.chainId !== 'string' || !isSeq(r.seq) || typeof r.prevHash !== 'string' || typeof r.hash !== 'string') {
    return false;
  }
  if (r.expiresAt !== undefined && optionalNumber(r.expiresAt) === undefined) return false;
  if (r.prevExpiresAt !== undefined && optionalNumber(r.prevExpiresAt) === undefined) return false;
  try {
    const lifetime = { expiresAt: optionalNumber(r.expiresAt), prevExpiresAt: optionalNumber(r.prevExpiresAt) };
    return hashRecord(r.prevHash, r.chainId, r.seq, r.event as AuditEvent, lifetime) === r.hash;
  } catch {
    // Not canonically encodable any more (a tampered type, say): it cannot be what was hashed.
    return false;
  }
}

/**
 * Recomputes one chain and names every break. `records` are all items found under the chain (any order),
 * `head` is the chain's head item (`undefined` when there is none to compare against, e.g. verifying an export;
 * `null` when the head item should exist but is gone), `now` is epoch milliseconds, and `anchor` is the chain's
 * head as the latest signed checkpoint recorded it (absent when no checkpoint names the chain).
 *
 * The kinds, each detectable on its own:
 * - edited: a record's content no longer hashes to its stored hash; or it hashes fine but its successor (by
 *   sequence) does not link to it, or it is the tail and the head's hash differs — it was rewritten with a
 *   recomputed hash; or it is the record at the anchored sequence number and its hash is no longer the anchored
 *   one (a consistent rewrite of the tail and the head); or the head's tail expiry disagrees with the tail
 *   record's (hashed) one. Reported at the edited record's key.
 * - deleted: a sequence number is missing and the next present record's prevHash does not match the present
 *   predecessor; or records after the last present one are missing compared to the head or the anchor (tail
 *   deletion); or the head itself is gone. Reported once per missing sequence number. A missing run is not a
 *   break when the record after it says (prevExpiresAt) that its predecessor's retention ended: TTL removed it.
 *   That covers an expired prefix, and a middle run when retention was shortened. A missing tail is likewise
 *   fine once its retention has passed: up to the anchored record, by the anchored (signed) expiry; beyond it, by
 *   the head's tailExpiresAt.
 * - inserted: a record that does not belong: its key is not a sequence key, it names another chain, its sequence
 *   number is beyond the head (and the anchor), or it duplicates a sequence number another record holds and the
 *   chain's links go around it (its would-be successor links over it to the genuine record).
 * - reordered: a record sits at a key other than its own sequence number and the order around it is broken
 *   (records swapped, or one moved elsewhere); the chain itself is intact. Reported at the key where it was found.
 * - gap: the numbering skips while every hash link is intact (keys renumbered, or sequence numbers rewritten
 *   consistently): nothing is missing, but the chain is no longer gap-free. Reported at the first skipped number.
 * - misindexed: the record is intact but the attributes its indexes use disagree with its content, so it is
 *   missing from (or misplaced in) day and subject exports. Reported at its key.
 * - rolled_back: the head's sequence number is lower than the anchored one: the head was moved backwards.
 *   Reported at the anchored sequence number (missing records after the head are `deleted` as well).
 *
 * Limits (by design of an unkeyed hash chain): without an anchor, someone able to rewrite a whole suffix AND the
 * head consistently is not detected here; with one, records appended after the anchor still are not.
 */
export function verifyChain(
  chainId: string,
  records: readonly StoredRecord[],
  head: ChainHead | null | undefined,
  now: number,
  anchor?: AnchoredHead,
): ChainVerification {
  const breaks = new Map<string, ChainBreak>();
  const report = (seq: number, kind: ChainBreakKind) => breaks.set(`${kind}:${seq}`, { chain: chainId, seq, kind });
  const expired = (epochSeconds: number | undefined) => epochSeconds !== undefined && epochSeconds * 1000 <= now;
  // Records up to the anchored head are genuine even when the head item was moved back behind them.
  const headSeq = head ? Math.max(head.seq, anchor?.seq ?? 0) : Number.POSITIVE_INFINITY;
  const insertedKeys = new Set<number>();
  const inserted = (key: number | undefined, seq: unknown) => {
    if (key !== undefined) insertedKeys.add(key);
    report(key ?? (isSeq(seq) ? seq : 0), 'inserted');
  };

  // 1. Each record on its own: does it hash, does it belong to this chain, is it within the head?
  let entries: Entry[] = [];
  for (const r of records) {
    if (r.keySeq === undefined) {
      inserted(undefined, r.seq);
      continue;
    }
    const ok = selfConsistent(r);
    if (!ok) {
      if (r.keySeq > headSeq) {
        inserted(r.keySeq, r.seq);
        continue;
      }
      report(r.keySeq, 'edited');
      entries.push({
        key: r.keySeq,
        seq: r.keySeq,
        prevHash: typeof r.prevHash === 'string' ? r.prevHash : '',
        hash: typeof r.hash === 'string' ? r.hash : '',
        // An edited record cannot vouch for its predecessor's expiry: a missing run before it counts as deleted.
        prevExpiresAt: undefined,
        expiresAt: undefined,
        edited: true,
      });
      continue;
    }
    const seq = r.seq as number;
    if (r.chainId !== chainId || seq > headSeq) {
      inserted(r.keySeq, seq);
      continue;
    }
    if (r.indexed === false) report(r.keySeq, 'misindexed');
    entries.push({
      key: r.keySeq,
      seq,
      prevHash: r.prevHash as string,
      hash: r.hash as string,
      prevExpiresAt: optionalNumber(r.prevExpiresAt),
      expiresAt: optionalNumber(r.expiresAt),
      edited: false,
    });
  }

  // 2. Two records claiming one sequence number: the genuine one is the one the chain links through.
  const bySeq = new Map<number, Entry[]>();
  for (const e of entries) bySeq.set(e.seq, [...(bySeq.get(e.seq) ?? []), e]);
  for (const [seq, claimants] of bySeq) {
    if (claimants.length < 2) continue;
    const successors = bySeq.get(seq + 1) ?? [];
    const linked = claimants.filter((c) => successors.some((s) => s.prevHash === c.hash));
    const pool = linked.length > 0 ? linked : claimants;
    const genuine =
      pool.find((c) => anchor && c.seq === anchor.seq && c.hash === anchor.hash) ??
      pool.find((c) => head && c.seq === head.seq && c.hash === head.hash) ??
      pool.find((c) => c.key === c.seq) ??
      [...pool].sort((a, b) => a.key - b.key)[0]!;
    for (const c of claimants) if (c !== genuine) inserted(c.key, c.seq);
    bySeq.set(seq, [genuine]);
  }
  entries = [...bySeq.values()].map((list) => list[0]!).sort((a, b) => a.seq - b.seq);

  // 3. Walk in chain order: links, missing records, numbering gaps.
  const skippedBefore = new Set<number>();
  let prev: Entry | undefined;
  for (const e of entries) {
    if (!prev) {
      if (e.seq === 1) {
        if (e.prevHash !== GENESIS_HASH && !e.edited) report(e.key, 'edited');
      } else if (!expired(e.prevExpiresAt)) {
        for (let s = 1; s < e.seq; s += 1) report(s, 'deleted');
      }
    } else if (e.seq === prev.seq + 1) {
      if (e.prevHash !== prev.hash && !e.edited && !prev.edited) report(prev.key, 'edited');
    } else {
      skippedBefore.add(e.seq);
      if (e.prevHash === prev.hash) report(prev.seq + 1, 'gap');
      else if (!expired(e.prevExpiresAt)) for (let s = prev.seq + 1; s < e.seq; s += 1) report(s, 'deleted');
    }
    prev = e;
  }
  const lastSeq = prev?.seq ?? 0;
  if (head === null) {
    // Head items never expire: a missing head is a deletion, and so is every anchored record gone with it.
    for (let s = lastSeq + 1; s <= Math.max(lastSeq + 1, anchor?.seq ?? 0); s += 1) report(s, 'deleted');
  } else if (head) {
    const rolledBack = anchor !== undefined && head.seq < anchor.seq;
    if (lastSeq < headSeq) {
      for (let s = lastSeq + 1; s <= headSeq; s += 1) {
        // Up to the anchor only the signed expiry counts: the head's tailExpiresAt is not hashed.
        const retentionEnded = anchor && s <= anchor.seq ? expired(anchor.expiresAt) : expired(head.tailExpiresAt);
        if (!retentionEnded) report(s, 'deleted');
      }
    } else if (prev && !rolledBack && !prev.edited) {
      if (prev.hash !== head.hash) report(prev.key, 'edited');
      else if (head.tailExpiresAt !== undefined && head.tailExpiresAt !== prev.expiresAt) report(head.seq, 'edited');
    }
    if (rolledBack) report(anchor.seq, 'rolled_back');
  }
  if (anchor) {
    const anchored = entries.find((e) => e.seq === anchor.seq);
    if (anchored && !anchored.edited && anchored.hash !== anchor.hash) report(anchored.key, 'edited');
  }

  // 4. Placement: where each record is stored versus its own sequence number. A consistent shift of the keys is a
  //    renumbering (gap); a record out of line with its neighbours was moved or swapped (reordered).
  const placed = entries.filter((e) => !e.edited);
  let offset = 0;
  let prevKey = 0;
  placed.forEach((e, i) => {
    const d = e.key - e.seq;
    if (d === offset) {
      prevKey = e.key;
      return;
    }
    const next = placed[i + 1];
    const monotone = e.key > prevKey && (next === undefined || next.key - next.seq === d);
    if (monotone && d > offset) {
      let firstFree: number | undefined;
      for (let k = prevKey + 1; k < e.key && firstFree === undefined; k += 1) if (!insertedKeys.has(k)) firstFree = k;
      // A skip over nothing but inserted records' slots is explained by those insertions.
      if (firstFree !== undefined) report(firstFree, 'gap');
    } else if (!(monotone && skippedBefore.has(e.seq))) {
      // (A shift back right after a hole in the sequence is already reported by the walk above.)
      report(e.key, 'reordered');
      return;
    }
    offset = d;
    prevKey = e.key;
  });

  const sorted = [...breaks.values()].sort((a, b) => a.seq - b.seq || a.kind.localeCompare(b.kind));
  return { chain: chainId, records: records.length, breaks: sorted };
}

/**
 * Whether `records` (a chain's records from the previously anchored sequence number, or from its first record,
 * through `head.seq`) prove that `head` extends `from`: every record present at its own key, intact, correctly
 * indexed, each linked to the one before, starting at the anchored hash (or the chain's genesis, or an expired
 * prefix) and ending at the head's hash. The checkpoint writer advances a chain's anchor only then, so a
 * checkpoint never vouches for a rewrite of what an earlier checkpoint saw. `now` is epoch milliseconds.
 */
export function extendsAnchor(
  chainId: string,
  from: AnchoredHead | undefined,
  head: ChainHead,
  records: readonly StoredRecord[],
  now: number,
): boolean {
  const sorted = [...records].sort((a, b) => (a.keySeq ?? 0) - (b.keySeq ?? 0));
  const first = sorted[0];
  if (!first || first.keySeq === undefined) return false;
  const start = from?.seq ?? first.keySeq;
  if (from === undefined && start !== 1) {
    // A chain seen for the first time may only start late if its prefix's retention ended.
    const before = optionalNumber(first.prevExpiresAt);
    if (before === undefined || before * 1000 > now) return false;
  }
  if (sorted.length !== head.seq - start + 1) return false;
  let prevHash: string | undefined;
  for (const [i, r] of sorted.entries()) {
    const seq = start + i;
    if (r.keySeq !== seq || r.seq !== seq || r.chainId !== chainId || r.indexed === false || !selfConsistent(r)) {
      return false;
    }
    if (i === 0) {
      if (from ? r.hash !== from.hash : seq === 1 && r.prevHash !== GENESIS_HASH) return false;
    } else if (r.prevHash !== prevHash) return false;
    prevHash = r.hash as string;
  }
  const last = sorted[sorted.length - 1]!;
  return (
    last.hash === head.hash &&
    (head.tailExpiresAt === undefined || head.tailExpiresAt === optionalNumber(last.expiresAt))
  );
}
