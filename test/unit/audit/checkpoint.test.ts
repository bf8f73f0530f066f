import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import {
  CHECKPOINT_FORMAT,
  checkpointDigest,
  checkpointObjectText,
  encodeCheckpoint,
  followsCheckpoint,
  openCheckpoint,
  verifyCheckpointSignature,
  type Checkpoint,
  type SignedCheckpoint,
} from '../../../lambdas/core/audit/checkpoint';
import { extendsAnchor, GENESIS_HASH, verifyChain } from '../../../lambdas/core/audit/hash-chain';
import { checkpointObjectName, checkpointSeqOf } from '../../../lambdas/adapters/checkpoint-object-names';
import { buildChain, DAY, T0 } from './chain-fixture';

const H = (c: string) => c.repeat(64);
const checkpoint: Checkpoint = {
  format: CHECKPOINT_FORMAT,
  trail: 'stepgate-prod-audit',
  seq: 7,
  at: '2026-12-01T10:15:00.000Z',
  prev: H('a'),
  records: 15,
  chains: [
    { id: 'zeta', seq: 5, hash: H('c'), expiresAt: 1_800_000_000 },
    { id: 'alpha', seq: 10, hash: H('b') },
  ],
  flagged: ['zeta'],
};

function keyPair(curve = 'prime256v1') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey, spki: publicKey.export({ format: 'der', type: 'spki' }) };
}

function signed(c: Checkpoint, key = keyPair()): { object: SignedCheckpoint; spki: Buffer } {
  const payload = encodeCheckpoint(c);
  const signature = sign('sha256', Buffer.from(payload), { key: key.privateKey, dsaEncoding: 'der' });
  return {
    object: {
      format: CHECKPOINT_FORMAT,
      payload,
      algorithm: 'ECDSA_SHA_256',
      keyId: 'test',
      signature: signature.toString('base64'),
    },
    spki: key.spki,
  };
}

describe('checkpoint encoding', () => {
  it('is canonical JSON: keys sorted, no whitespace, chains sorted by id, flagged sorted and unique', () => {
    expect(encodeCheckpoint({ ...checkpoint, flagged: ['zeta', 'alpha', 'zeta'] })).toBe(
      '{"at":"2026-12-01T10:15:00.000Z","chains":[' +
        `{"hash":"${H('b')}","id":"alpha","seq":10},` +
        `{"expiresAt":1800000000,"hash":"${H('c')}","id":"zeta","seq":5}],` +
        `"flagged":["alpha","zeta"],"format":"stepgate.audit-checkpoint/1","prev":"${H('a')}",` +
        '"records":15,"seq":7,"trail":"stepgate-prod-audit"}',
    );
    const reordered = { ...checkpoint, chains: [...checkpoint.chains].reverse() };
    expect(encodeCheckpoint(reordered)).toBe(encodeCheckpoint(checkpoint));
  });

  it('digests the payload bytes with SHA-256 (what the next checkpoint names as prev)', () => {
    const payload = encodeCheckpoint(checkpoint);
    expect(checkpointDigest(payload)).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('stores the object as JSON with the payload as the exact signed string', () => {
    const { object } = signed(checkpoint);
    const text = checkpointObjectText(object);
    expect(text.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['format', 'payload', 'algorithm', 'keyId', 'signature']);
    expect((JSON.parse(text) as SignedCheckpoint).payload).toBe(encodeCheckpoint(checkpoint));
  });

  it('names objects so the newest sorts first, and reads the number back', () => {
    const names = [1, 2, 10, 999].map(checkpointObjectName);
    expect([...names].sort()).toEqual([...names].reverse());
    expect(names.map(checkpointSeqOf)).toEqual([1, 2, 10, 999]);
    expect(checkpointObjectName(7)).toBe('999999999992-7.json');
    for (const bad of ['999999999992-8.json', 'latest.json', '999999999992-7.json.bak']) {
      expect(checkpointSeqOf(bad)).toBeUndefined();
    }
  });
});

describe('openCheckpoint', () => {
  const expected = { seq: 7, trail: 'stepgate-prod-audit' };

  it('opens a well-signed checkpoint', () => {
    const { object, spki } = signed(checkpoint);
    const opened = openCheckpoint(checkpointObjectText(object), expected, spki);
    expect(opened.checkpoint.chains.map((c) => c.id)).toEqual(['alpha', 'zeta']);
    expect(opened.digest).toBe(checkpointDigest(object.payload));
  });

  it('refuses a payload changed after signing, another key, another curve, and a garbled signature', () => {
    const { object, spki } = signed(checkpoint);
    const changed = { ...object, payload: object.payload.replace('"records":15', '"records":16') };
    expect(() => openCheckpoint(JSON.stringify(changed), expected, spki)).toThrow(/signature does not verify/);
    expect(() => openCheckpoint(JSON.stringify(object), expected, keyPair().spki)).toThrow(/signature/);
    const p384 = signed(checkpoint, keyPair('secp384r1'));
    expect(verifyCheckpointSignature(p384.object, p384.spki)).toBe(false);
    expect(verifyCheckpointSignature({ ...object, signature: 'AAAA' }, spki)).toBe(false);
  });

  it('refuses what is not canonical, not where it is stored, of another trail, or not a checkpoint', () => {
    const { object, spki } = signed(checkpoint);
    const spaced = { ...object, payload: JSON.stringify(JSON.parse(object.payload), null, 1) };
    expect(() => openCheckpoint(JSON.stringify(spaced), expected, spki)).toThrow(/canonical/);
    expect(() => openCheckpoint(JSON.stringify(object), { ...expected, seq: 8 }, spki)).toThrow(/says 7/);
    expect(() => openCheckpoint(JSON.stringify(object), { ...expected, trail: 'other' }, spki)).toThrow(/anchors/);
    for (const text of [
      '',
      'null',
      '{}',
      JSON.stringify({ ...object, extra: 1 }),
      JSON.stringify({ ...object, payload: '{"seq":7}' }),
    ]) {
      expect(() => openCheckpoint(text, expected, spki)).toThrow(/checkpoint 7: not a stepgate checkpoint/);
    }
  });

  it('links: the first follows nothing (genesis prev), each next names its predecessor’s digest', () => {
    const first = { ...checkpoint, seq: 1, prev: GENESIS_HASH };
    expect(followsCheckpoint(first, undefined)).toBe(true);
    expect(followsCheckpoint(checkpoint, undefined)).toBe(false);
    const { object, spki } = signed(first);
    const opened = openCheckpoint(JSON.stringify(object), { seq: 1, trail: first.trail }, spki);
    expect(followsCheckpoint({ ...checkpoint, seq: 2, prev: opened.digest }, opened)).toBe(true);
    expect(followsCheckpoint({ ...checkpoint, seq: 3, prev: opened.digest }, opened)).toBe(false);
    expect(followsCheckpoint({ ...checkpoint, seq: 2, prev: H('f') }, opened)).toBe(false);
  });
});

describe('verifyChain against an anchored head', () => {
  const C = 'chain-a';
  const NOW = T0 + DAY;
  const kinds = (r: ReturnType<typeof verifyChain>) => r.breaks.map((b) => `${b.kind}@${b.seq}`);

  it('passes a chain that extends its anchor, and one exactly at it', () => {
    const { records, head } = buildChain(C, 6);
    const anchor = { seq: 4, hash: records[3]!.hash as string };
    expect(kinds(verifyChain(C, records, head, NOW, anchor))).toEqual([]);
    expect(kinds(verifyChain(C, records, head, NOW, { seq: 6, hash: head.hash }))).toEqual([]);
  });

  it('names the anchored record edited when the tail and head were rebuilt consistently', () => {
    const { records: original } = buildChain(C, 6);
    const { records, head } = buildChain(C, 6, (seq) => Math.floor((T0 + 500 * DAY) / 1000) + seq);
    expect(kinds(verifyChain(C, records, head, NOW))).toEqual([]);
    expect(kinds(verifyChain(C, records, head, NOW, { seq: 6, hash: original[5]!.hash as string }))).toEqual([
      'edited@6',
    ]);
  });

  it('names a head behind the anchor rolled_back and the missing records deleted', () => {
    const { records } = buildChain(C, 6);
    const anchor = { seq: 6, hash: records[5]!.hash as string };
    const rewound = { seq: 4, hash: records[3]!.hash as string, tailExpiresAt: records[3]!.expiresAt as number };
    expect(kinds(verifyChain(C, records, rewound, NOW, anchor))).toEqual(['rolled_back@6']);
    expect(kinds(verifyChain(C, records.slice(0, 4), rewound, NOW, anchor))).toEqual([
      'deleted@5',
      'deleted@6',
      'rolled_back@6',
    ]);
  });

  it('names every anchored record of a chain gone with its head', () => {
    expect(kinds(verifyChain(C, [], null, NOW, { seq: 3, hash: H('1') }))).toEqual([
      'deleted@1',
      'deleted@2',
      'deleted@3',
    ]);
  });

  it('trusts the signed expiry of the anchored record, not the head’s, for a missing tail', () => {
    const { records, head } = buildChain(C, 6);
    const anchor = { seq: 6, hash: head.hash, expiresAt: records[5]!.expiresAt as number };
    const lying = { ...head, tailExpiresAt: Math.floor(T0 / 1000) };
    expect(kinds(verifyChain(C, records.slice(0, 5), lying, NOW))).toEqual([]);
    expect(kinds(verifyChain(C, records.slice(0, 5), lying, NOW, anchor))).toEqual(['deleted@6']);
    // Once the anchored record's own retention has ended, its absence is TTL at work.
    const later = (anchor.expiresAt + 1) * 1000;
    expect(kinds(verifyChain(C, records.slice(0, 5), lying, later, anchor))).toEqual([]);
  });

  it('names a head whose tail expiry disagrees with the tail record’s hashed one', () => {
    const { records, head } = buildChain(C, 3);
    expect(kinds(verifyChain(C, records, { ...head, tailExpiresAt: 1 }, NOW))).toEqual(['edited@3']);
  });

  it('names an intact record whose index attributes disagree with its content misindexed', () => {
    const { records, head } = buildChain(C, 4);
    records[1] = { ...records[1]!, indexed: false };
    expect(kinds(verifyChain(C, records, head, NOW))).toEqual(['misindexed@2']);
  });
});

describe('extendsAnchor (the checkpoint writer’s incremental check)', () => {
  const C = 'chain-a';
  const NOW = T0 + DAY;
  const { records, head } = buildChain(C, 6);
  const from = { seq: 3, hash: records[2]!.hash as string };

  it('accepts the records from the anchor to the head when every link holds', () => {
    expect(extendsAnchor(C, from, head, records.slice(2), NOW)).toBe(true);
    expect(extendsAnchor(C, undefined, head, records, NOW)).toBe(true);
  });

  it('refuses a missing, edited, misplaced or misindexed record, another start, or another head', () => {
    expect(extendsAnchor(C, from, head, [...records.slice(2, 4), ...records.slice(5)], NOW)).toBe(false);
    const edited = records
      .slice(2)
      .map((r, i) => (i === 1 ? { ...r, event: { ...(r.event as object), outcome: 'x' } } : r));
    expect(extendsAnchor(C, from, head, edited, NOW)).toBe(false);
    expect(
      extendsAnchor(
        C,
        from,
        head,
        records.slice(2).map((r, i) => (i === 2 ? { ...r, indexed: false } : r)),
        NOW,
      ),
    ).toBe(false);
    expect(extendsAnchor(C, { ...from, hash: H('9') }, head, records.slice(2), NOW)).toBe(false);
    expect(extendsAnchor(C, from, { ...head, hash: H('9') }, records.slice(2), NOW)).toBe(false);
    expect(extendsAnchor(C, from, { ...head, tailExpiresAt: 1 }, records.slice(2), NOW)).toBe(false);
    expect(extendsAnchor(C, undefined, head, records.slice(1), NOW)).toBe(false);
  });
});
