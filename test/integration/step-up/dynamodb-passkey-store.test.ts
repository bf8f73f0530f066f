import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbPasskeyStore } from '../../../lambdas/adapters/dynamodb/dynamodb-passkey-store';
import type { TableNames } from '../../../lambdas/contracts/tables';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { StoredPasskey } from '../../../lambdas/ports/passkey-store';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';

const T0 = Date.parse('2026-12-03T10:00:00Z');

describe('DynamoDbPasskeyStore on DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  let store: DynamoDbPasskeyStore;
  let seq = 0;
  afterAll(() => client.destroy());
  beforeAll(async () => {
    tables = await createTestTables(client, 'passkey-store');
    store = new DynamoDbPasskeyStore(
      client,
      tables,
      new DynamoDbAuditLog({ client, tableName: tables.audit, now: () => T0, writer: 'test-passkeys' }),
    );
  });

  const user = () => `user-${++seq}@example.com`;
  const audit = (what: string): AuditEvent => ({
    eventId: `test:${what}:${++seq}`,
    kind: 'mfa.enrolled',
    actor: { type: 'user', id: 'sub' },
    at: new Date(T0).toISOString(),
  });
  const passkey = (userId: string, n = 1): StoredPasskey => ({
    userId,
    passkeyId: `${n}`.padStart(32, 'a'),
    credentialId: `cred-${n}`,
    publicKey: 'pk',
    signCount: 0,
    transports: ['internal'],
    name: `key ${n}`,
    createdAt: T0 + n,
    deviceType: 'singleDevice',
    backedUp: false,
    aaguid: '00000000-0000-0000-0000-000000000000',
  });
  const pending = (userId: string, challenge = 'challenge-1') => ({
    userId,
    challenge,
    createdAt: T0,
    pendingUntil: T0 + 300_000,
    authorisation: { kind: 'no_verified_contact' as const },
  });

  it('finishes one registration per ceremony, however many requests race for it', async () => {
    const u = user();
    expect(await store.startRegistration({ pending: pending(u) })).toBe('started');
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        store.finishRegistration({ passkey: passkey(u, n), challenge: 'challenge-1', now: T0 + 1, audit: audit('f') }),
      ),
    );
    expect(results.filter((r) => r === 'registered')).toHaveLength(1);
    expect(await store.list(u)).toHaveLength(1);
    expect(await store.getPendingRegistration(u, T0 + 2)).toBeUndefined();
  });

  it('refuses a finish with another challenge, or after the ceremony expired', async () => {
    const u = user();
    await store.startRegistration({ pending: pending(u, 'right') });
    const input = { passkey: passkey(u), now: T0 + 1, audit: audit('x') };
    expect(await store.finishRegistration({ ...input, challenge: 'wrong' })).toBe('no_pending');
    expect(await store.finishRegistration({ ...input, challenge: 'right', now: T0 + 300_000 })).toBe('no_pending');
    expect(await store.getPendingRegistration(u, T0 + 300_000)).toBeUndefined();
    expect(await store.list(u)).toEqual([]);
  });

  it('moves the signature counter once from the value it was verified against', async () => {
    const u = user();
    await store.startRegistration({ pending: pending(u) });
    await store.finishRegistration({ passkey: passkey(u), challenge: 'challenge-1', now: T0, audit: audit('c') });
    const id = passkey(u).passkeyId;
    const raced = await Promise.all(
      [5, 6].map((next) => store.recordUse({ userId: u, passkeyId: id, expected: 0, next, now: T0 + next })),
    );
    expect(raced.filter(Boolean)).toHaveLength(1);
    const after = await store.get(u, id);
    expect([5, 6]).toContain(after?.signCount);
    expect(await store.recordUse({ userId: u, passkeyId: id, expected: 0, next: 9, now: T0 + 9 })).toBe(false);
  });

  it('lists only the user’s own passkeys; a removed or renamed one, as it now is; never another user’s', async () => {
    const u = user();
    const other = user();
    for (const who of [u, other]) {
      await store.startRegistration({ pending: pending(who) });
      await store.finishRegistration({ passkey: passkey(who), challenge: 'challenge-1', now: T0, audit: audit('l') });
    }
    const id = passkey(u).passkeyId;
    expect(await store.rename({ userId: u, passkeyId: id, name: 'Phone', audit: audit('r') })).toBe(true);
    expect((await store.list(u)).map((p) => p.name)).toEqual(['Phone']);
    expect(await store.get(other, id)).toMatchObject({ userId: other, name: 'key 1' });
    expect(await store.rename({ userId: u, passkeyId: 'b'.repeat(32), name: 'x', audit: audit('r') })).toBe(false);
  });
});
