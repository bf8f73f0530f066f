import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from '../../../lambdas/core/audit/canonical-json';
import {
  GENESIS_HASH,
  hashRecord,
  verifyChain,
  type ChainBreak,
  type StoredRecord,
} from '../../../lambdas/core/audit/hash-chain';
import { atKey, buildChain, DAY, eventAt, rehashed, T0 } from './chain-fixture';

const C = 'chain-a';
const NOW = T0 + DAY;
const kinds = (breaks: readonly ChainBreak[]) => breaks.map((b) => `${b.kind}@${b.seq}`);
const verify = (records: StoredRecord[], head: Parameters<typeof verifyChain>[2], now = NOW) =>
  kinds(verifyChain(C, records, head, now).breaks);

function forged(prev: StoredRecord | undefined, seq: number, keySeq: number): StoredRecord {
  const event = eventAt(1000 + seq, { outcome: 'allow', eventId: `forged:${seq}` });
  const prevHash = prev ? (prev.hash as string) : GENESIS_HASH;
  const prevExpiresAt = prev?.expiresAt as number | undefined;
  const expiresAt = Math.floor((T0 + 400 * DAY) / 1000);
  return {
    keySeq,
    chainId: C,
    seq,
    prevHash,
    hash: hashRecord(prevHash, C, seq, event, { expiresAt, prevExpiresAt }),
    expiresAt,
    prevExpiresAt,
    event,
  };
}

describe('hashRecord', () => {
  it('is SHA-256 over prevHash, a newline and the canonical {chainId, seq, event}', () => {
    const event = eventAt(1);
    const expected = createHash('sha256')
      .update(`${GENESIS_HASH}\n${canonicalJson({ chainId: C, seq: 1, event })}`)
      .digest('hex');
    expect(hashRecord(GENESIS_HASH, C, 1, event)).toBe(expected);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });

  it('covers the lifetime fields, the chain id, the position and the predecessor', () => {
    const event = eventAt(1);
    const base = hashRecord(GENESIS_HASH, C, 1, event, { expiresAt: 10 });
    expect(hashRecord(GENESIS_HASH, C, 1, event, { expiresAt: 11 })).not.toBe(base);
    expect(hashRecord(GENESIS_HASH, C, 1, event, { expiresAt: 10, prevExpiresAt: 1 })).not.toBe(base);
    expect(hashRecord(GENESIS_HASH, 'chain-b', 1, event, { expiresAt: 10 })).not.toBe(base);
    expect(hashRecord(GENESIS_HASH, C, 2, event, { expiresAt: 10 })).not.toBe(base);
    expect(hashRecord('1'.repeat(64), C, 1, event, { expiresAt: 10 })).not.toBe(base);
  });

  it('does not depend on key order or undefined properties', () => {
    const event = eventAt(1);
    const shuffled = Object.fromEntries(
      Object.entries({ ...event, why: undefined }).reverse(),
    ) as unknown as typeof event;
    expect(hashRecord(GENESIS_HASH, C, 1, shuffled)).toBe(hashRecord(GENESIS_HASH, C, 1, event));
  });
});

describe('verifyChain', () => {
  it('passes an intact chain and counts its records', () => {
    const { records, head } = buildChain(C, 6);
    expect(verifyChain(C, records, head, NOW)).toEqual({ chain: C, records: 6, breaks: [] });
    expect(verify([...records].reverse(), head)).toEqual([]);
  });

  it('passes an empty chain with no head, and a new chain whose head says seq 0 records', () => {
    expect(verify([], undefined)).toEqual([]);
  });

  it('edited: content changed without touching the hash', () => {
    const { records, head } = buildChain(C, 6);
    records[2] = { ...records[2]!, event: { ...eventAt(3), outcome: 'deny' } };
    expect(verify(records, head)).toEqual(['edited@3']);
  });

  it('edited: the stored hash overwritten (content intact) is one edit, not also a broken link', () => {
    const { records, head } = buildChain(C, 6);
    records[2] = { ...records[2]!, hash: 'f'.repeat(64) };
    expect(verify(records, head)).toEqual(['edited@3']);
  });

  it('edited: a record rewritten with a recomputed hash breaks its successor link (or the head)', () => {
    const { records, head } = buildChain(C, 6);
    const middle = [...records];
    middle[2] = rehashed(C, middle[2]!, { event: { ...eventAt(3), why: 'rewritten' } });
    expect(verify(middle, head)).toEqual(['edited@3']);
    const tail = [...records];
    tail[5] = rehashed(C, tail[5]!, { event: { ...eventAt(6), why: 'rewritten' } });
    expect(verify(tail, head)).toEqual(['edited@6']);
  });

  it('edited: a record whose stored seq was changed (not rehashed) is reported where it was found', () => {
    const { records, head } = buildChain(C, 6);
    records[3] = { ...records[3]!, seq: 9 };
    expect(verify(records, head)).toEqual(['edited@4']);
  });

  it('deleted: a middle record, the tail, the first record, and a run', () => {
    const { records, head } = buildChain(C, 8);
    expect(
      verify(
        records.filter((r) => r.keySeq !== 4),
        head,
      ),
    ).toEqual(['deleted@4']);
    expect(verify(records.slice(0, 7), head)).toEqual(['deleted@8']);
    expect(verify(records.slice(1), head)).toEqual(['deleted@1']);
    expect(
      verify(
        records.filter((r) => ![3, 4, 5].includes(r.keySeq!)),
        head,
      ),
    ).toEqual(['deleted@3', 'deleted@4', 'deleted@5']);
  });

  it('deleted: every record of a chain whose retention has not ended, and a missing head', () => {
    const { records, head } = buildChain(C, 3);
    expect(verify([], head)).toEqual(['deleted@1', 'deleted@2', 'deleted@3']);
    expect(verify(records, null)).toEqual(['deleted@4']);
  });

  it('inserted: a valid-looking record beyond the head', () => {
    const { records, head } = buildChain(C, 5);
    expect(verify([...records, forged(records[4], 6, 6)], head)).toEqual(['inserted@6']);
  });

  it('inserted: a copy of a record under a new key', () => {
    const { records, head } = buildChain(C, 5);
    expect(verify([...records, atKey(records[1]!, 6)], head)).toEqual(['inserted@6']);
  });

  it('inserted: an extra record slipped in by shifting the rest, linked over by its successor', () => {
    const { records, head } = buildChain(C, 6);
    const shifted = [
      ...records.slice(0, 2),
      forged(records[1], 3, 3),
      ...records.slice(2).map((r) => atKey(r, r.keySeq! + 1)),
    ];
    expect(verify(shifted, head)).toEqual(['inserted@3']);
  });

  it('inserted: a record under a key that is not a sequence key, or copied from another chain', () => {
    const { records, head } = buildChain(C, 4);
    expect(verify([...records, { ...records[3]!, keySeq: undefined }], head)).toEqual(['inserted@4']);
    const other = buildChain('chain-b', 5).records[4]!;
    expect(verify([...records, other], undefined)).toEqual(['inserted@5']);
  });

  it('reordered: two records swapped between keys, apart or adjacent', () => {
    const { records, head } = buildChain(C, 8);
    const swap = (i: number, j: number) =>
      records.map((r) => (r.keySeq === i ? atKey(records[j - 1]!, i) : r.keySeq === j ? atKey(records[i - 1]!, j) : r));
    expect(verify(swap(3, 6), head)).toEqual(['reordered@3', 'reordered@6']);
    expect(verify(swap(4, 5), head)).toEqual(['reordered@4', 'reordered@5']);
    expect(verify(swap(7, 8), head)).toEqual(['reordered@7', 'reordered@8']);
    expect(verify(swap(1, 8), head)).toEqual(['reordered@1', 'reordered@8']);
  });

  it('reordered: a record moved to a far key, leaving its own empty', () => {
    const { records, head } = buildChain(C, 8);
    expect(
      verify(
        records.map((r) => (r.keySeq === 3 ? atKey(r, 12) : r)),
        head,
      ),
    ).toEqual(['reordered@12']);
  });

  it('gap: keys renumbered with every link intact', () => {
    const { records, head } = buildChain(C, 8);
    expect(
      verify(
        records.map((r) => (r.keySeq! >= 5 ? atKey(r, r.keySeq! + 1) : r)),
        head,
      ),
    ).toEqual(['gap@5']);
    expect(
      verify(
        records.map((r) => (r.keySeq! >= 2 ? atKey(r, r.keySeq! + 3) : r)),
        head,
      ),
    ).toEqual(['gap@2']);
  });

  it('gap: sequence numbers rewritten consistently (a suffix rehashed and relinked)', () => {
    const { records } = buildChain(C, 6);
    const rewritten: StoredRecord[] = records.slice(0, 3);
    for (const r of records.slice(3)) {
      const prev = rewritten[rewritten.length - 1]!;
      const seq = (r.seq as number) + 1;
      rewritten.push(rehashed(C, { ...r, keySeq: seq }, { seq, prevHash: prev.hash }));
    }
    const last = rewritten[rewritten.length - 1]!;
    expect(verify(rewritten, { seq: 7, hash: last.hash as string })).toEqual(['gap@4']);
  });

  describe('retention', () => {
    const expiry = (seq: number) => Math.floor((seq <= 3 ? T0 + DAY : T0 + 400 * DAY) / 1000);

    it('an expired prefix verifies clean once its retention ended, and is deleted before', () => {
      const { records, head } = buildChain(C, 6, expiry);
      const remaining = records.slice(3);
      expect(verify(remaining, head, T0 + 2 * DAY)).toEqual([]);
      expect(verify(remaining, head, T0 + DAY / 2)).toEqual(['deleted@1', 'deleted@2', 'deleted@3']);
    });

    it('a prefix cannot be passed off as expired by editing prevExpiresAt: it is hashed', () => {
      const { records, head } = buildChain(C, 6);
      const remaining = records.slice(3);
      remaining[0] = { ...remaining[0]!, prevExpiresAt: 1 };
      expect(verify(remaining, head, T0 + 2 * DAY)).toEqual(['deleted@1', 'deleted@2', 'deleted@3', 'edited@4']);
    });

    it('a middle run expired by a shortened retention, and a fully expired chain, verify clean', () => {
      const { records, head } = buildChain(C, 6, (seq) =>
        Math.floor((seq === 3 || seq === 4 ? T0 + DAY : T0 + 400 * DAY) / 1000),
      );
      expect(
        verify(
          records.filter((r) => r.keySeq !== 3 && r.keySeq !== 4),
          head,
          T0 + 2 * DAY,
        ),
      ).toEqual([]);
      const all = buildChain(C, 4, () => Math.floor((T0 + DAY) / 1000));
      expect(verify([], all.head, T0 + 2 * DAY)).toEqual([]);
      expect(verify(all.records.slice(2), all.head, T0 + 2 * DAY)).toEqual([]);
    });

    it('records still present after their retention ended (TTL is lazy) still verify', () => {
      const { records, head } = buildChain(C, 6, expiry);
      expect(verify(records, head, T0 + 2 * DAY)).toEqual([]);
    });
  });

  it('names exactly the one tampering done, whatever the chain length and position (property)', () => {
    const tamper = fc.integer({ min: 4, max: 25 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.oneof(
          fc.record({ op: fc.constant('edit' as const), k: fc.integer({ min: 1, max: n }) }),
          fc.record({ op: fc.constant('rehash' as const), k: fc.integer({ min: 1, max: n }) }),
          fc.record({ op: fc.constant('delete' as const), k: fc.integer({ min: 1, max: n }) }),
          fc.record({ op: fc.constant('insertBeyond' as const), k: fc.constant(n + 1) }),
          fc.record({ op: fc.constant('insertShift' as const), k: fc.integer({ min: 1, max: n }) }),
          fc.record({ op: fc.constant('copy' as const), k: fc.integer({ min: 1, max: n }) }),
          fc
            .tuple(fc.integer({ min: 1, max: n }), fc.integer({ min: 1, max: n }))
            .filter(([a, b]) => a !== b)
            .map(([a, b]) => ({ op: 'swap' as const, k: Math.min(a, b), j: Math.max(a, b) })),
          fc.record({
            op: fc.constant('gap' as const),
            k: fc.integer({ min: 2, max: n }),
            j: fc.integer({ min: 1, max: 3 }),
          }),
        ),
      ),
    );
    fc.assert(
      fc.property(tamper, ([n, t]) => {
        const { records, head } = buildChain(C, n);
        const at = (k: number) => records[k - 1]!;
        let tampered: StoredRecord[];
        let expected: string[];
        switch (t.op) {
          case 'edit':
            tampered = records.map((r) => (r.keySeq === t.k ? { ...r, event: { ...eventAt(t.k), why: 'x' } } : r));
            expected = [`edited@${t.k}`];
            break;
          case 'rehash':
            tampered = records.map((r) =>
              r.keySeq === t.k ? rehashed(C, r, { event: { ...eventAt(t.k), why: 'x' } }) : r,
            );
            expected = [`edited@${t.k}`];
            break;
          case 'delete':
            tampered = records.filter((r) => r.keySeq !== t.k);
            expected = [`deleted@${t.k}`];
            break;
          case 'insertBeyond':
            tampered = [...records, forged(at(n), n + 1, n + 1)];
            expected = [`inserted@${n + 1}`];
            break;
          case 'insertShift':
            tampered = [
              ...records.slice(0, t.k - 1),
              forged(t.k > 1 ? at(t.k - 1) : undefined, t.k, t.k),
              ...records.slice(t.k - 1).map((r) => atKey(r, r.keySeq! + 1)),
            ];
            expected = [`inserted@${t.k}`];
            break;
          case 'copy':
            tampered = [...records, atKey(at(t.k), n + 2)];
            expected = [`inserted@${n + 2}`];
            break;
          case 'swap':
            tampered = records.map((r) =>
              r.keySeq === t.k ? atKey(at(t.j), t.k) : r.keySeq === t.j ? atKey(at(t.k), t.j) : r,
            );
            expected = [`reordered@${t.k}`, `reordered@${t.j}`];
            break;
          case 'gap':
            tampered = records.map((r) => (r.keySeq! >= t.k ? atKey(r, r.keySeq! + t.j) : r));
            expected = [`gap@${t.k}`];
            break;
        }
        expect(verify(tampered, head)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});
