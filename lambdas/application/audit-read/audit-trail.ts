import {
  DEFAULT_EXPORT_LIMIT,
  MAX_EXPORT_LIMIT,
  parseAuditRange,
  parseLimit,
  type AuditTimeRange,
} from '../../core/audit/audit-query';
import type { AuditLog, AuditPage, AuditReader, AuditVerificationSummary } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import type { UserActor } from '../actor';
import { verifyTrail, type AuditCheckpoints } from '../audit-checkpoints/audit-checkpoints';
import { InvalidInputError } from '../errors';
import { recordRead } from './record-read';

/** Longest `subject` accepted: a user id is at most 256 characters, pseudonyms far less. */
export const MAX_SUBJECT_LENGTH = 512;

export interface AuditTrailDependencies {
  readonly reader: AuditReader;
  /** Where the records of these reads go. */
  readonly audit: Pick<AuditLog, 'append'>;
  readonly clock: Clock;
  /** The signed checkpoints verify checks the trail against; without them verify reports `anchor: null`. */
  readonly checkpoints?: AuditCheckpoints;
}

/** Who asks, in which request (its id keys the record of the read). */
export interface AuditReadRequest {
  readonly actor: UserActor;
  readonly requestId: string;
}

/** The query as the client sent it: range and limit are parsed here, each error naming its parameter. */
export interface ExportQuery {
  readonly from?: string;
  readonly to?: string;
  readonly limit?: string;
  readonly subject?: string;
  readonly cursor?: string;
}

/** One page of the trail, after its read is recorded. */
export async function exportTrail(
  deps: AuditTrailDependencies,
  request: AuditReadRequest,
  query: ExportQuery,
): Promise<AuditPage & { range: AuditTimeRange }> {
  const range = parseAuditRange(query.from, query.to, deps.clock());
  const limit = parseLimit(query.limit, DEFAULT_EXPORT_LIMIT, MAX_EXPORT_LIMIT);
  const subject = query.subject === '' ? undefined : query.subject;
  if (subject !== undefined && subject.length > MAX_SUBJECT_LENGTH) {
    throw new InvalidInputError(`subject: longer than ${MAX_SUBJECT_LENGTH} characters`, 'subject');
  }
  const cursor = query.cursor === '' ? undefined : query.cursor;
  const page = await deps.reader.exportRecords({
    ...range,
    limit,
    ...(subject ? { subject } : {}),
    ...(cursor ? { cursor } : {}),
  });
  await recordRead(deps, {
    ...request,
    action: 'audit.export',
    ...(subject ? { subject } : {}),
    data: {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to).toISOString(),
      continued: cursor !== undefined,
      records: page.records.length,
    },
  });
  return { ...page, range };
}

/** Verifies every chain (against the latest checkpoint when there are checkpoints), then records the read. */
export async function verifyAuditTrail(
  deps: AuditTrailDependencies,
  request: AuditReadRequest,
): Promise<AuditVerificationSummary> {
  const result = await verifyTrail(deps.reader, deps.checkpoints, deps.clock());
  await recordRead(deps, {
    ...request,
    action: 'audit.verify',
    data: {
      ok: result.ok,
      chains: result.chains,
      records: result.records,
      breaks: result.breaks.length,
      checkpoint: result.anchor?.checkpoint ?? null,
    },
  });
  return result;
}
