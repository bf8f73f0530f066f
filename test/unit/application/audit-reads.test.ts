import { exportTrail, verifyAuditTrail } from '../../../lambdas/application/audit-read/audit-trail';
import { recordRead } from '../../../lambdas/application/audit-read/record-read';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import type { AppendResult, AuditExportQuery, AuditLog, AuditReader } from '../../../lambdas/ports/audit-log';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const AUDITOR = { subject: 'sub-auditor', username: 'auditor@example.com' };
const REQUEST = { actor: AUDITOR, requestId: 'req-1' };

/** A trail of no records that remembers the queries it was asked. */
class EmptyTrail implements AuditReader {
  readonly queries: AuditExportQuery[] = [];
  exportRecords(query: AuditExportQuery) {
    this.queries.push(query);
    return Promise.resolve({ records: [], cursor: 'next-page' });
  }
  verifyAll() {
    return Promise.resolve({ ok: true, chains: 2, records: 40, breaks: [] });
  }
  // eslint-disable-next-line require-yield -- no chains to report
  async *verifyEach() {
    await Promise.resolve();
  }
}

/** The log of reads: appends kept in order, or refused as a table that cannot be written. */
class ReadLog implements Pick<AuditLog, 'append'> {
  readonly records: AuditEvent[] = [];
  failing = false;
  append(event: AuditEvent): Promise<AppendResult> {
    if (this.failing) return Promise.reject(new Error('audit table unavailable'));
    this.records.push(event);
    return Promise.resolve('appended');
  }
}

const setup = () => {
  const reader = new EmptyTrail();
  const audit = new ReadLog();
  return { reader, audit, deps: { reader, audit, clock: () => NOW } };
};

describe('audit reads', () => {
  it('records an export as admin.read keyed by the request, with whose records and which range', async () => {
    const { reader, audit, deps } = setup();
    const page = await exportTrail(deps, REQUEST, { from: '2026-11-30', subject: 'alice@example.com', limit: '10' });
    expect(page).toMatchObject({ records: [], cursor: 'next-page' });
    expect(reader.queries).toEqual([
      { from: Date.parse('2026-11-30T00:00:00Z'), to: NOW, limit: 10, subject: 'alice@example.com' },
    ]);
    expect(audit.records).toEqual([
      {
        eventId: 'admin.read:req-1',
        kind: 'admin.read',
        actor: { type: 'user', id: 'sub-auditor' },
        action: 'audit.export',
        subject: 'alice@example.com',
        outcome: 'served',
        requestId: 'req-1',
        at: '2026-12-01T10:00:00.000Z',
        data: {
          username: 'auditor@example.com',
          from: '2026-11-30T00:00:00.000Z',
          to: '2026-12-01T10:00:00.000Z',
          continued: false,
          records: 0,
        },
      },
    ]);
  });

  it('refuses a bad range or an oversized subject naming the parameter, before reading anything', async () => {
    const { reader, audit, deps } = setup();
    await expect(exportTrail(deps, REQUEST, {})).rejects.toMatchObject({ field: 'from' });
    await expect(exportTrail(deps, REQUEST, { from: '2026-12-01', to: '2026-11-01' })).rejects.toMatchObject({
      field: 'to',
    });
    await expect(exportTrail(deps, REQUEST, { from: '2026-11-30', subject: 'x'.repeat(513) })).rejects.toMatchObject({
      field: 'subject',
    });
    expect(reader.queries).toEqual([]);
    expect(audit.records).toEqual([]);
  });

  it('returns nothing when the read cannot be recorded', async () => {
    const { audit, deps } = setup();
    audit.failing = true;
    await expect(exportTrail(deps, REQUEST, { from: '2026-11-30' })).rejects.toThrow('audit table unavailable');
    await expect(verifyAuditTrail(deps, REQUEST)).rejects.toThrow('audit table unavailable');
    await expect(recordRead(deps, { ...REQUEST, action: 'events.read' })).rejects.toThrow('audit table unavailable');
  });

  it('records a verification with its result, unanchored without checkpoints', async () => {
    const { audit, deps } = setup();
    expect(await verifyAuditTrail(deps, REQUEST)).toMatchObject({ ok: true, chains: 2, records: 40, breaks: [] });
    expect(audit.records).toEqual([
      expect.objectContaining({
        action: 'audit.verify',
        data: { username: 'auditor@example.com', ok: true, chains: 2, records: 40, breaks: 0, checkpoint: null },
      }),
    ]);
  });
});
