import { writeFile } from 'node:fs/promises';
import { CliError, type Command } from '../cli';
import { diffPolicies, type PolicyChange } from '../../lambdas/core/policy/policy-diff';
import { renderTable } from '../../lambdas/core/simulation/report-text';
import type {
  DiffResponse,
  PendingResponse,
  PendingView,
  PolicyResponse,
  PutPolicyResponse,
  ReviewResponse,
  VersionsResponse,
} from '../../lambdas/handlers/admin/responses';
import {
  api,
  connect,
  CONNECTION_HELP,
  int,
  parse,
  readPolicyFile,
  validatePolicy,
  type Connection,
} from './admin-client';

const USAGE = `usage:
  stepgate policy get [--out <file>]             the active policy document (stdout, or a file)
  stepgate policy diff <from> [<to>]             changes between two stored versions (to: the active one)
  stepgate policy diff --policy <file>           changes a file would make to the active policy
  stepgate policy apply --policy <file> --reason <text> [--if-match <version>] [--dry-run]
                                                 store the file as the next version; If-Match defaults to the
                                                 file's own "version" (the one \`get\` wrote), so a policy
                                                 changed by someone else meanwhile is refused (409), not lost
  stepgate policy history [--limit <n>]          versions, newest first: who, when, why
  stepgate policy pending                        changes awaiting a second admin's approval
  stepgate policy approve <version> [--note <text>]
  stepgate policy reject <version> [--note <text>]

A change takes effect on every decision within 5 s (the policy cache). With "approval": {"required": true} in the
active policy, or when the change weakens protection (thresholds raised, weights cut, actions moved down, broad
allow-list entries, fail modes relaxed, approval switched off...), apply answers "pending", lists what weakened
and its backtest on recent decisions, and another admin approves.

${CONNECTION_HELP}`;

const SUBCOMMANDS = ['get', 'diff', 'apply', 'history', 'pending', 'approve', 'reject'] as const;

const OPTIONS = {
  out: { type: 'string' },
  policy: { type: 'string' },
  reason: { type: 'string' },
  'if-match': { type: 'string' },
  'dry-run': { type: 'boolean' },
  limit: { type: 'string' },
  note: { type: 'string' },
} as const;

function value(v: unknown): string {
  if (v === undefined) return '';
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function renderChanges(changes: readonly PolicyChange[]): string {
  if (changes.length === 0) return 'no changes';
  return renderTable(
    ['path', 'change', 'before', 'after'],
    changes.map((c) => [c.path, c.kind, value(c.before), value(c.after)]),
    4,
  );
}

/** What an approver is asked to accept: the weakening edits and how recent decisions would move towards allow. */
export function renderReview(review: Pick<PendingView, 'weakening' | 'backtest'>): string {
  const lines: string[] = [];
  if (review.weakening && review.weakening.length > 0) {
    lines.push('weakens protection:');
    lines.push(
      renderTable(
        ['path', 'weakening', 'before', 'after'],
        review.weakening.map((w) => [w.path, w.kind, value(w.before), value(w.after)]),
        4,
      ),
    );
  }
  const b = review.backtest;
  if (b) {
    lines.push(
      `backtest: ${b.compared} recorded decisions from ${b.from} to ${b.to}${b.truncated ? ' (stopped at the bound)' : ''}; ${b.towardAllow} would move towards allow`,
    );
    const moved = b.byAction.filter((a) => a.towardAllow > 0);
    if (moved.length > 0) {
      lines.push(
        renderTable(
          ['action', 'compared', 'towards allow', 'step_up→allow', 'deny→allow', 'deny→step_up'],
          moved.map((a) =>
            [a.action, a.compared, a.towardAllow, a.stepUpToAllow, a.denyToAllow, a.denyToStepUp].map(String),
          ),
          1,
        ),
      );
    }
  }
  return lines.join('\n');
}

async function get(conn: Connection, out: string | undefined): Promise<number> {
  const res = await api<PolicyResponse>(conn, 'GET', '/v1/admin/policy');
  const { version, policy, updatedAt, updatedBy, reason } = res.body;
  const text = `${JSON.stringify(policy, null, 2)}\n`;
  console.error(`policy version ${version}, ${updatedAt || 'built in'} by ${updatedBy}${reason ? `: ${reason}` : ''}`);
  if (out) {
    await writeFile(out, text);
    console.error(`written to ${out}`);
  } else process.stdout.write(text);
  return 0;
}

async function diff(conn: Connection, positionals: string[], file: string | undefined): Promise<number> {
  if (file) {
    const doc = await readPolicyFile(file);
    const active = (await api<PolicyResponse>(conn, 'GET', '/v1/admin/policy')).body;
    console.log(`${file} against active version ${active.version}:`);
    console.log(renderChanges(diffPolicies(active.policy, doc)));
    return 0;
  }
  const [from, to] = positionals;
  if (from === undefined) throw new CliError(`policy diff needs <from> or --policy\n\n${USAGE}`, 2);
  const res = await api<DiffResponse>(conn, 'GET', '/v1/admin/policy/diff', { query: { from, to } });
  console.log(`version ${res.body.from} → ${res.body.to}:`);
  console.log(renderChanges(res.body.changes));
  return 0;
}

async function apply(
  conn: Connection,
  values: { policy?: string; reason?: string; 'if-match'?: string; 'dry-run'?: boolean },
): Promise<number> {
  const file = values.policy;
  if (!file) throw new CliError(`policy apply needs --policy <file>\n\n${USAGE}`, 2);
  const doc = await readPolicyFile(file);
  const active = (await api<PolicyResponse>(conn, 'GET', '/v1/admin/policy')).body;
  const ifMatch = int(values['if-match'], 'if-match') ?? (typeof doc.version === 'number' ? doc.version : undefined);
  if (ifMatch === undefined) {
    throw new CliError(`${file} has no "version": pass --if-match <the version you edited>`, 2);
  }
  // The service refuses a change made on an older version (409) before it looks at the content, so say so first:
  // a diff against the active version would show someone else's changes as if this file undid them.
  if (ifMatch !== active.version) {
    throw new CliError(
      `${file} was made from version ${ifMatch}, but version ${active.version} is active now (the API would answer ` +
        `409): get the active policy (stepgate policy get --out <file>), make the change again, and apply that`,
    );
  }
  // Compared as the service stores it (validated, defaults filled in), so "no changes" means what the API will say.
  const changes = diffPolicies(active.policy, validatePolicy(doc, file));
  if (changes.length === 0) {
    console.log(`no changes: ${file} is the same as active version ${active.version}; nothing to apply`);
    return 0;
  }
  if (!values.reason && !values['dry-run']) {
    throw new CliError('policy apply needs --reason <why>: it goes into the audit trail', 2);
  }
  console.log(`changes against active version ${active.version}:`);
  console.log(renderChanges(changes));
  if (values['dry-run']) {
    console.log('dry run: nothing applied');
    return 0;
  }
  const res = await api<PutPolicyResponse>(conn, 'PUT', '/v1/admin/policy', {
    body: { policy: doc, reason: values.reason },
    headers: { 'if-match': `"${ifMatch}"` },
  });
  if (res.status === 202) {
    const because = res.body.approvalRequiredBecause ?? ['policy'];
    console.log(
      `proposed as version ${res.body.version} (${because.includes('weakening') ? 'it weakens protection' : 'the policy requires approval'}); another admin approves it with: stepgate policy approve ${res.body.version}`,
    );
    const review = renderReview(res.body);
    if (review) console.log(review);
  } else if (res.body.unchanged) {
    console.log(`the service found nothing to change: version ${res.body.version} stays active`);
  } else {
    console.log(
      `applied as version ${res.body.version}; in effect on every decision within ${res.body.effectiveWithinSeconds ?? 5} s`,
    );
  }
  return 0;
}

async function history(conn: Connection, limit: number): Promise<number> {
  const rows: string[][] = [];
  let before: string | undefined;
  while (rows.length < limit) {
    const res = await api<VersionsResponse>(conn, 'GET', '/v1/admin/policy/versions', {
      query: { limit: String(Math.min(100, limit - rows.length)), before },
    });
    for (const v of res.body.versions) {
      rows.push([String(v.version), v.updatedAt, v.updatedBy, v.approvedBy ?? '', v.reason ?? '']);
    }
    if (res.body.nextBefore === undefined) break;
    before = String(res.body.nextBefore);
  }
  console.log(renderTable(['version', 'updated at', 'by', 'approved by', 'reason'], rows, 5));
  return 0;
}

async function pending(conn: Connection): Promise<number> {
  const res = await api<PendingResponse>(conn, 'GET', '/v1/admin/policy/pending');
  if (res.body.pending.length === 0) {
    console.log(`nothing awaits approval (active version ${res.body.activeVersion})`);
    return 0;
  }
  for (const p of res.body.pending) {
    console.log(
      `version ${p.version} (on ${p.baseVersion}${p.stale ? ', STALE: the active policy moved' : ''}) proposed by ${p.proposedBy} at ${p.proposedAt}: ${p.reason}`,
    );
    if (p.changes) console.log(renderChanges(p.changes));
    const review = renderReview(p);
    if (review) console.log(review);
    console.log('');
  }
  return 0;
}

async function review(conn: Connection, what: 'approve' | 'reject', version: string | undefined, note?: string) {
  if (!version || !/^\d+$/.test(version)) throw new CliError(`policy ${what} needs <version>\n\n${USAGE}`, 2);
  const res = await api<ReviewResponse>(conn, 'POST', `/v1/admin/policy/pending/${version}/${what}`, {
    body: note ? { note } : {},
  });
  console.log(
    what === 'approve'
      ? `version ${res.body.version} approved and active; in effect within ${res.body.effectiveWithinSeconds ?? 5} s`
      : `version ${res.body.version} rejected`,
  );
  return 0;
}

export const policyCommand: Command = {
  summary: 'read, diff, apply and approve policy versions through the admin API',
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  async run(args) {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    const [sub, ...rest] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`, 2);
    }
    const conn = await connect(values);
    switch (sub) {
      case 'get':
        return get(conn, values.out);
      case 'diff':
        return diff(conn, rest, values.policy);
      case 'apply':
        return apply(conn, values);
      case 'history':
        return history(conn, int(values.limit, 'limit', 20)!);
      case 'pending':
        return pending(conn);
      default:
        return review(conn, sub as 'approve' | 'reject', rest[0], values.note);
    }
  },
};
