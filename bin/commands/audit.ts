import { writeFile, open } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { CliError, type Command } from '../cli';
import { parseAuditRange, InvalidAuditQueryError, MAX_EXPORT_LIMIT } from '../../lambdas/core/audit/audit-query';
import type { AuditEvent } from '../../lambdas/core/audit/audit-event';
import { renderEvidenceHtml, renderEvidenceText, summarizeEvidence } from '../../lambdas/core/audit/evidence-report';
import { DynamoDbAuditLog } from '../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbAuditReader } from '../../lambdas/adapters/dynamodb/dynamodb-audit-reader';
import { tableNamesFor } from '../../lambdas/contracts/tables';
import { localClientConfig } from '../../lambdas/local/dynamodb-local';
import { localAnchorDir, localAnchoring, localCheckpointDir } from '../../lambdas/local/local-checkpoints';
import { anchorsOf, CheckpointInvalidError } from '../../lambdas/core/audit/checkpoint';
import type { ChainBreak } from '../../lambdas/core/audit/hash-chain';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { FileCheckpointStore } from '../../lambdas/adapters/file-checkpoint-store';
import { KmsCheckpointSigner } from '../../lambdas/adapters/kms-checkpoint-signer';
import { S3CheckpointStore } from '../../lambdas/adapters/s3-checkpoint-store';
import { composeCheckpoints, type CheckpointAnchoring } from '../../lambdas/composition/audit';
import { verifyTrail, type AuditCheckpoints } from '../../lambdas/application/audit-checkpoints/audit-checkpoints';
import { CheckpointTakenError } from '../../lambdas/ports/checkpoint';
import type { AuditPage, AuditExportQuery } from '../../lambdas/ports/audit-log';
import { localInfo, stackUrl, URL_HELP } from './stack';

const USAGE = `usage:
  stepgate audit verify [--json] [--all-checkpoints]              recompute every chain against the latest signed
                                                                   checkpoint; exit 1 on any break
  stepgate audit checkpoint [--json]                               sign and store a checkpoint of every chain head;
                                                                   exit 1 if a chain no longer extends the last one
  stepgate audit export --from <date> --to <date> [--subject <id>] [--out <file>]
                                                                   records as JSON lines (stdout by default)
  stepgate audit report --from <date> --to <date> [--html <file>]  SOC 2 evidence summary

dates: YYYY-MM-DD (a date-only --to includes that day) or ISO-8601 date-time with zone; times are UTC.
These commands read the audit table directly. By default they ask the local runtime where it is:
${URL_HELP}
environment (to read another table, e.g. in AWS):
  STEPGATE_DYNAMODB_ENDPOINT  DynamoDB endpoint instead of the local runtime's; "aws" for the AWS SDK's default
                              region and credentials
  STEPGATE_TABLE_PREFIX       table name prefix (with STEPGATE_DYNAMODB_ENDPOINT; default stepgate-local); the
                              audit table is <prefix>-audit
  STEPGATE_AUDIT_TABLE        audit table name, overriding the prefix
  STEPGATE_DATA_DIR           local runtime data folder (default .stepgate): local checkpoints and their key
  STEPGATE_CHECKPOINT_BUCKET  with "aws": the checkpoint bucket (stack output CheckpointBucket)
  STEPGATE_CHECKPOINT_KEY_ID  with "aws": the checkpoint signing key (stack output CheckpointKeyArn)
--all-checkpoints checks every checkpoint's signature and link back to the first (default: the latest two).`;

const SUBCOMMANDS = ['verify', 'checkpoint', 'export', 'report'] as const;

export interface AuditTableConnection {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly endpoint: string;
  readonly env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  verify: { json: { type: 'boolean' }, 'all-checkpoints': { type: 'boolean' } },
  checkpoint: { json: { type: 'boolean' } },
  export: { from: { type: 'string' }, to: { type: 'string' }, subject: { type: 'string' }, out: { type: 'string' } },
  report: { from: { type: 'string' }, to: { type: 'string' }, html: { type: 'string' } },
} as const satisfies Record<(typeof SUBCOMMANDS)[number], NonNullable<ParseArgsConfig['options']>>;

/**
 * The audit table: an explicit STEPGATE_DYNAMODB_ENDPOINT (with the prefix or table name) wins; otherwise the local
 * runtime at --url / STEPGATE_URL says where its DynamoDB Local and tables are, so one setting finds a stack started
 * on other ports.
 */
export async function connectAuditTable(
  url: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<AuditTableConnection> {
  let endpoint = env.STEPGATE_DYNAMODB_ENDPOINT;
  let table =
    env.STEPGATE_AUDIT_TABLE || (env.STEPGATE_TABLE_PREFIX ? tableNamesFor(env.STEPGATE_TABLE_PREFIX).audit : '');
  if (!endpoint) {
    const info = await localInfo(stackUrl({ url }, env));
    endpoint = info.dynamodb.endpoint;
    table ||= info.tables.audit;
  }
  table ||= tableNamesFor('stepgate-local').audit;
  const client = endpoint === 'aws' ? new DynamoDBClient({}) : new DynamoDBClient(localClientConfig(endpoint));
  return { client, table, endpoint, env };
}

/**
 * Where this trail's checkpoints are: S3 + KMS for "aws" (both named by the environment; absent means none), the
 * local runtime's folder otherwise. `forWriting` creates the local key if there is none yet.
 */
async function anchoring(conn: AuditTableConnection, forWriting: boolean): Promise<CheckpointAnchoring | undefined> {
  if (conn.endpoint === 'aws') {
    const bucket = conn.env.STEPGATE_CHECKPOINT_BUCKET;
    const keyId = conn.env.STEPGATE_CHECKPOINT_KEY_ID;
    if (!bucket || !keyId) {
      if (forWriting) {
        throw new CliError('set STEPGATE_CHECKPOINT_BUCKET and STEPGATE_CHECKPOINT_KEY_ID (the stack outputs)', 2);
      }
      return undefined;
    }
    return {
      store: new S3CheckpointStore(new S3Client({}), bucket, `${conn.table}/`),
      signer: new KmsCheckpointSigner(new KMSClient({}), keyId),
      retentionDays: Number(conn.env.STEPGATE_CHECKPOINT_RETENTION_DAYS || DEFAULT_AUDIT_RETENTION_DAYS),
    };
  }
  const dir = localAnchorDir(conn.env);
  if (!forWriting && !(await new FileCheckpointStore(localCheckpointDir(dir, conn.table)).latest())) return undefined;
  return localAnchoring(dir, conn.table);
}

function checkpointsOf(
  conn: AuditTableConnection,
  reader: DynamoDbAuditReader,
  anchor: CheckpointAnchoring,
): AuditCheckpoints {
  return composeCheckpoints({ tables: { audit: conn.table }, clock: Date.now, reader }, anchor);
}

/** Turns the two failures a person at the terminal can fix into one clear line each. */
function explain(error: unknown, conn: AuditTableConnection): never {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === 'ResourceNotFoundException') {
    throw new CliError(
      `audit table ${conn.table} not found at ${conn.endpoint} (set STEPGATE_TABLE_PREFIX or STEPGATE_AUDIT_TABLE)`,
    );
  }
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e?.message ?? '')) {
    throw new CliError(
      `cannot reach DynamoDB at ${conn.endpoint}: is \`npm start\` running? (or set STEPGATE_DYNAMODB_ENDPOINT)`,
    );
  }
  if (error instanceof InvalidAuditQueryError) throw new CliError(`--${error.message}`, 2);
  throw error;
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options: { ...options, url: { type: 'string' } }, allowPositionals: false, strict: true })
      .values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
}

function range(values: Record<string, string | boolean | undefined>): { from: number; to: number } {
  const from = values.from;
  const to = values.to;
  if (typeof from !== 'string') throw new CliError(`--from is required\n\n${USAGE}`, 2);
  if (typeof to !== 'string') throw new CliError(`--to is required\n\n${USAGE}`, 2);
  return parseAuditRange(from, to, Date.now());
}

/** Reading personal data out of the trail is itself recorded, as the admin API does. */
async function recordCliRead(
  conn: AuditTableConnection,
  action: string,
  data: Record<string, unknown>,
  subject?: string,
): Promise<void> {
  const log = new DynamoDbAuditLog({ client: conn.client, tableName: conn.table, writer: 'cli' });
  const now = new Date();
  await log.append({
    eventId: `admin.read:cli:${randomUUID()}`,
    kind: 'admin.read',
    actor: { type: 'user', id: `os:${userInfo().username}@${hostname()}` },
    action,
    outcome: 'served',
    at: now.toISOString(),
    ...(subject ? { subject } : {}),
    data,
  });
}

async function* allRecords(reader: DynamoDbAuditReader, query: Omit<AuditExportQuery, 'cursor' | 'limit'>) {
  let cursor: string | undefined;
  do {
    const page: AuditPage = await reader.exportRecords({
      ...query,
      limit: MAX_EXPORT_LIMIT,
      ...(cursor ? { cursor } : {}),
    });
    yield* page.records;
    cursor = page.cursor;
  } while (cursor);
}

async function verify(args: string[], conn: AuditTableConnection): Promise<number> {
  const values = parse(args, OPTIONS.verify);
  const reader = new DynamoDbAuditReader({ client: conn.client, tableName: conn.table });
  const now = Date.now();
  const anchor = await anchoring(conn, false);
  const checkpoints = anchor ? checkpointsOf(conn, reader, anchor) : undefined;
  const {
    latest,
    location,
    breaks: checkpointBreaks,
  } = checkpoints
    ? await checkpoints.latest(values['all-checkpoints'] ? Number.POSITIVE_INFINITY : 2)
    : { latest: undefined, location: undefined, breaks: [] };
  const anchors = latest ? anchorsOf(latest.checkpoint) : undefined;
  if (!values.json) {
    console.log(
      latest
        ? `anchor: checkpoint ${latest.checkpoint.seq} of ${latest.checkpoint.at} (${latest.checkpoint.chains.length} chains, ${latest.checkpoint.records} records) at ${location}`
        : `anchor: none (no signed checkpoint${anchor ? ' that verifies' : ''} at ${anchor ? anchor.store.location : 'any configured store'}): a consistent rewrite of a chain's tail and head, or a chain deleted with its registry entry, would go unnoticed`,
    );
    for (const b of checkpointBreaks) console.log(`checkpoint ${b.seq}  bad_checkpoint (signature, format or link)`);
  }
  let chains = 0;
  let records = 0;
  const breaks: ChainBreak[] = [...checkpointBreaks];
  for await (const chain of reader.verifyEach(now, anchors)) {
    chains += 1;
    records += chain.records;
    breaks.push(...chain.breaks);
    if (!values.json) {
      const kinds = chain.breaks.map((b) => `${b.kind}@${b.seq}`).join(' ');
      console.log(
        `chain ${chain.chain}  records ${chain.records}  breaks ${chain.breaks.length}${kinds ? `  ${kinds}` : ''}`,
      );
    }
  }
  const ok = breaks.length === 0;
  const anchorSummary = latest
    ? {
        checkpoint: latest.checkpoint.seq,
        at: latest.checkpoint.at,
        chains: latest.checkpoint.chains.length,
        records: latest.checkpoint.records,
        location: location ?? '',
      }
    : null;
  if (values.json) console.log(JSON.stringify({ ok, chains, records, breaks, anchor: anchorSummary }, null, 2));
  else
    console.log(
      `audit trail ${ok ? 'VERIFIED' : 'BROKEN'}: ${chains} chains, ${records} records, ${breaks.length} breaks` +
        (latest ? `, against checkpoint ${latest.checkpoint.seq}` : ', unanchored'),
    );
  return ok ? 0 : 1;
}

async function checkpoint(args: string[], conn: AuditTableConnection): Promise<number> {
  const values = parse(args, OPTIONS.checkpoint);
  const reader = new DynamoDbAuditReader({ client: conn.client, tableName: conn.table });
  const checkpoints = checkpointsOf(conn, reader, (await anchoring(conn, true))!);
  let written;
  try {
    written = (await checkpoints.write(Date.now()))!;
  } catch (error) {
    if (error instanceof CheckpointTakenError) throw new CliError(`${error.message}; run it again`);
    if (error instanceof CheckpointInvalidError) throw new CliError(error.message);
    throw error;
  }
  if (values.json) console.log(JSON.stringify(written, null, 2));
  else {
    console.log(
      `checkpoint ${written.seq} of ${written.at}: ${written.chains} chains, ${written.records} records, signed and stored in ${written.location}`,
    );
    if (written.flagged.length > 0) {
      console.log(
        `${written.flagged.length} chains no longer extend the previous checkpoint and keep its anchor: ${written.flagged.join(', ')} (run stepgate audit verify)`,
      );
    }
  }
  return written.flagged.length === 0 ? 0 : 1;
}

async function exportJsonLines(args: string[], conn: AuditTableConnection): Promise<number> {
  const values = parse(args, OPTIONS.export);
  const { from, to } = range(values);
  const subject = typeof values.subject === 'string' && values.subject !== '' ? values.subject : undefined;
  const reader = new DynamoDbAuditReader({ client: conn.client, tableName: conn.table });
  const out = typeof values.out === 'string' ? await open(values.out, 'w') : undefined;
  let count = 0;
  try {
    // Recorded before the first record leaves the table: a read that is interrupted was still a read.
    await recordCliRead(
      conn,
      'audit.export',
      { from: new Date(from).toISOString(), to: new Date(to).toISOString(), to_file: out !== undefined },
      subject,
    );
    for await (const record of allRecords(reader, { from, to, ...(subject ? { subject } : {}) })) {
      const line = `${JSON.stringify(record)}\n`;
      if (out) await out.write(line);
      else process.stdout.write(line);
      count += 1;
    }
  } finally {
    await out?.close();
  }
  console.error(`exported ${count} records${typeof values.out === 'string' ? ` to ${values.out}` : ''}`);
  return 0;
}

async function report(args: string[], conn: AuditTableConnection): Promise<number> {
  const values = parse(args, OPTIONS.report);
  const { from, to } = range(values);
  const reader = new DynamoDbAuditReader({ client: conn.client, tableName: conn.table });
  await recordCliRead(conn, 'audit.report', { from: new Date(from).toISOString(), to: new Date(to).toISOString() });
  const events: AuditEvent[] = [];
  for await (const record of allRecords(reader, { from, to })) events.push(record.event);
  const anchor = await anchoring(conn, false);
  const verification = await verifyTrail(reader, anchor ? checkpointsOf(conn, reader, anchor) : undefined, Date.now());
  const summary = summarizeEvidence(
    { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    events,
    verification,
  );
  process.stdout.write(renderEvidenceText(summary));
  if (typeof values.html === 'string') {
    await writeFile(values.html, renderEvidenceHtml(summary, new Date().toISOString()));
    console.error(`wrote ${values.html}`);
  }
  return 0;
}

/** `--url` is read before the subcommand's own options, since it decides where the table is. */
function urlOption(args: string[]): string | undefined {
  const i = args.findIndex((a) => a === '--url' || a.startsWith('--url='));
  if (i < 0) return undefined;
  const arg = args[i]!;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[i + 1];
  if (value === undefined) throw new CliError(`--url needs a value\n\n${USAGE}`, 2);
  return value;
}

export const auditCommand: Command = {
  summary: 'verify the tamper-evident audit trail, export it as JSON lines, or write a SOC 2 evidence report',
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  async run(args) {
    const [sub, ...rest] = args;
    const run = { verify, checkpoint, export: exportJsonLines, report }[sub ?? ''];
    if (!run) {
      if (sub === undefined) {
        console.log(USAGE);
        return 2;
      }
      throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`, 2);
    }
    // Options are checked before anything is read, so a typo costs no connection.
    parse(rest, OPTIONS[sub as (typeof SUBCOMMANDS)[number]]);
    const conn = await connectAuditTable(urlOption(rest), process.env);
    try {
      return await run(rest, conn);
    } catch (error) {
      explain(error, conn);
    } finally {
      conn.client.destroy();
    }
  },
};
