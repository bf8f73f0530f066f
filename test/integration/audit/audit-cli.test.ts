import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../../../bin/cli';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { seqSk } from '../../../lambdas/adapters/dynamodb/items/audit';
import { DynamoDbAuditReader } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import { createTestTables, testDynamoClient, testDynamoEndpoint } from '../../support/dynamodb';

describe('stepgate audit (CLI) against DynamoDB Local', () => {
  const client = testDynamoClient();
  const saved = { ...process.env };
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-audit-cli-'));
  let out: string[];
  let err: string[];
  let chainId: string;
  const today = new Date().toISOString().slice(0, 10);

  const events: AuditEvent[] = [
    {
      eventId: 'd:1',
      kind: 'decision',
      actor: { type: 'app', id: 'local-app' },
      subject: 'alice',
      action: 'payment.transfer',
      outcome: 'allow',
    },
    {
      eventId: 'd:2',
      kind: 'decision',
      actor: { type: 'app', id: 'local-app' },
      subject: 'bob',
      action: 'payment.transfer',
      outcome: 'step_up',
    },
    { eventId: 'c:1', kind: 'step_up.challenge_issued', actor: { type: 'cognito', id: 'pool' }, subject: 'bob' },
    {
      eventId: 'v:1',
      kind: 'step_up.verification',
      actor: { type: 'cognito', id: 'pool' },
      subject: 'bob',
      outcome: 'passed',
    },
    {
      eventId: 'p:2',
      kind: 'policy.changed',
      actor: { type: 'user', id: 'admin@example.com' },
      policyVersion: 2,
      why: 'tighten payments',
      before: { threshold: 60 },
      after: { threshold: 50 },
    },
  ].map((e, i) => ({ ...e, at: new Date(Date.now() - 60_000 + i * 1000).toISOString() }) as AuditEvent);

  beforeAll(async () => {
    const tables = await createTestTables(client, 'auditcli');
    process.env.STEPGATE_DYNAMODB_ENDPOINT = testDynamoEndpoint();
    process.env.STEPGATE_TABLE_PREFIX = tables.audit.replace(/-audit$/, '');
    // Local checkpoints and their key go to the data folder, as `npm start` keeps them.
    process.env.STEPGATE_DATA_DIR = dir;
    delete process.env.STEPGATE_AUDIT_TABLE;
    const log = new DynamoDbAuditLog({ client, tableName: tables.audit, writer: 'test' });
    for (const e of events) await log.append(e);
    chainId = (await new DynamoDbAuditReader({ client, tableName: tables.audit }).listChains())[0]!;
  });
  beforeEach(() => {
    out = [];
    err = [];
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void out.push(args.join(' ')));
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void err.push(args.join(' ')));
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
    client.destroy();
  });

  it('audit verify exits 0 on an intact trail and prints each chain', async () => {
    await expect(main(['audit', 'verify'])).resolves.toBe(0);
    expect(out.join('\n')).toContain(`chain ${chainId}  records 5  breaks 0`);
    expect(out.join('\n')).toContain('audit trail VERIFIED');
  });

  it('audit verify says when it has no checkpoint to check against', async () => {
    await expect(main(['audit', 'verify', '--json'])).resolves.toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ ok: true, anchor: null });
  });

  it('audit checkpoint signs every chain head into the local folder; verify then checks against it', async () => {
    await expect(main(['audit', 'checkpoint'])).resolves.toBe(0);
    expect(out.join('\n')).toMatch(/^checkpoint 1 of \S+: 1 chains, 5 records, signed and stored in /);
    const table = `${process.env.STEPGATE_TABLE_PREFIX}-audit`;
    expect(readdirSync(join(dir, 'checkpoints', table))).toEqual(['999999999998-1.json']);
    expect(readFileSync(join(dir, 'checkpoint-public-key.pem'), 'utf8')).toContain('BEGIN PUBLIC KEY');
    out = [];
    await expect(main(['audit', 'verify'])).resolves.toBe(0);
    expect(out.join('\n')).toMatch(/^anchor: checkpoint 1 of \S+ \(1 chains, 5 records\)/);
    expect(out.join('\n')).toContain('VERIFIED: 1 chains, 5 records, 0 breaks, against checkpoint 1');
  });

  it('audit export writes JSON lines to a file, by subject too, and the report summarises the period', async () => {
    const file = join(dir, 'export.jsonl');
    await expect(main(['audit', 'export', '--from', today, '--to', today, '--out', file])).resolves.toBe(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(
      lines
        .map((l) => (JSON.parse(l) as { event: AuditEvent }).event.eventId)
        .filter((id) => !id.startsWith('admin.read')),
    ).toEqual(events.map((e) => e.eventId));
    await expect(main(['audit', 'export', '--from', today, '--to', today, '--subject', 'bob'])).resolves.toBe(0);
    const bob = out
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: AuditEvent }).event);
    expect(bob.slice(0, 3).map((e) => e.eventId)).toEqual(['d:2', 'c:1', 'v:1']);
    // The export itself is part of bob's trail: who read his records, and when.
    expect(bob[3]).toMatchObject({
      kind: 'admin.read',
      action: 'audit.export',
      subject: 'bob',
      actor: { type: 'user' },
    });

    out = [];
    const html = join(dir, 'report.html');
    await expect(main(['audit', 'report', '--from', today, '--to', today, '--html', html])).resolves.toBe(0);
    const text = out.join('');
    expect(text).toMatch(/payment\.transfer\s+allow\s+1/);
    expect(text).toMatch(/user:admin@example\.com\s+2\s+tighten payments/);
    expect(text).toContain('VERIFIED');
    expect(readFileSync(html, 'utf8')).toContain('tighten payments');
  });

  it('refuses bad arguments with exit code 2 and a message naming the option', async () => {
    await expect(main(['audit', 'export', '--to', today])).resolves.toBe(2);
    expect(err.join('\n')).toContain('--from is required');
    await expect(main(['audit', 'export', '--from', 'someday', '--to', today])).resolves.toBe(2);
    expect(err.join('\n')).toContain('--from: ');
    await expect(main(['audit', 'bogus'])).resolves.toBe(2);
  });

  it('audit verify exits 1 once a record is tampered with, naming the break (--json)', async () => {
    const table = `${process.env.STEPGATE_TABLE_PREFIX}-audit`;
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: seqSk(2) } },
        UpdateExpression: 'SET #e.#o = :v',
        ExpressionAttributeNames: { '#e': 'event', '#o': 'outcome' },
        ExpressionAttributeValues: { ':v': { S: 'allow' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({ TableName: table, Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: seqSk(4) } } }),
    );
    await expect(main(['audit', 'verify', '--json'])).resolves.toBe(1);
    const report = JSON.parse(out.join('\n')) as { ok: boolean; breaks: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.breaks).toEqual([
      { chain: chainId, seq: 2, kind: 'edited' },
      { chain: chainId, seq: 4, kind: 'deleted' },
    ]);
  });

  it('audit verify names a chain deleted with its registry item, against the checkpoint', async () => {
    const table = `${process.env.STEPGATE_TABLE_PREFIX}-audit`;
    for (const sk of [1, 2, 3, 5].map(seqSk).concat('HEAD')) {
      await client.send(
        new DeleteItemCommand({ TableName: table, Key: { pk: { S: `CHAIN#${chainId}` }, sk: { S: sk } } }),
      );
    }
    await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'CHAINS' }, sk: { S: chainId } } }));
    await expect(main(['audit', 'verify', '--json'])).resolves.toBe(1);
    const report = JSON.parse(out.join('\n')) as { breaks: { chain: string; seq: number; kind: string }[] };
    expect(report.breaks.filter((b) => b.chain === chainId)).toEqual(
      [1, 2, 3, 4, 5].map((seq) => ({ chain: chainId, seq, kind: 'deleted' })),
    );
    // The next checkpoint keeps the deleted chain's anchor and says so (exit 1).
    out = [];
    await expect(main(['audit', 'checkpoint'])).resolves.toBe(1);
    expect(out.join('\n')).toContain(`no longer extend the previous checkpoint and keep its anchor: ${chainId}`);
  });

  it('says clearly when DynamoDB cannot be reached', async () => {
    process.env.STEPGATE_DYNAMODB_ENDPOINT = 'http://127.0.0.1:9';
    try {
      await expect(main(['audit', 'verify'])).resolves.toBe(1);
      expect(err.join('\n')).toContain('cannot reach DynamoDB at http://127.0.0.1:9');
    } finally {
      process.env.STEPGATE_DYNAMODB_ENDPOINT = testDynamoEndpoint();
    }
  });
});
