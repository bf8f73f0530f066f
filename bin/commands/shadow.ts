import { CliError, type Command } from '../cli';
import { progressBar } from '../../tools/evaluation/progress-bar';
import { mergeReports, type SimulationReport } from '../../lambdas/core/simulation/simulation';
import type { ShadowReportResponse, ShadowRunView, ShadowStatusResponse } from '../../lambdas/handlers/admin/responses';
import {
  api,
  connect,
  CONNECTION_HELP,
  int,
  parse,
  printReport,
  readPolicyFile,
  validatePolicy,
  writeReportFiles,
  type Connection,
} from './admin-client';

const USAGE = `usage:
  stepgate shadow start --policy <candidate.json> --reason <text>
      score every decision a second time under the candidate (within 5 s, on every instance); the answers do not
      change, disagreements are recorded with each decision
  stepgate shadow status
  stepgate shadow report [--run <runId>] [--html <report.html>] [--json <report.json>] [--changed <n>] [--quiet]
      what the candidate would have answered on the live traffic, as simulate reports it
  stepgate shadow stop --reason <text>

${CONNECTION_HELP}`;

const SUBCOMMANDS = ['start', 'status', 'report', 'stop'] as const;

const OPTIONS = {
  policy: { type: 'string' },
  reason: { type: 'string' },
  run: { type: 'string' },
  html: { type: 'string' },
  json: { type: 'string' },
  changed: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

function describe(run: ShadowStatusResponse): string {
  if (!('runId' in run)) return 'no shadow run was ever started';
  return (
    `shadow run ${run.runId}: ${run.status}, candidate v${run.candidateVersion}, ` +
    `started ${run.startedAt} by ${run.startedBy} (${run.reason})` +
    (run.stoppedAt ? `, stopped ${run.stoppedAt} by ${run.stoppedBy ?? '?'}` : '')
  );
}

async function report(
  conn: Connection,
  values: { run?: string; changed?: string; quiet?: boolean; html?: string; json?: string },
): Promise<number> {
  const shown = int(values.changed, 'changed', 20)!;
  const reports: SimulationReport[] = [];
  const bar = values.quiet ? undefined : progressBar(process.stderr, 'reading');
  let cursor: string | undefined;
  let run: ShadowRunView | undefined;
  let events = 0;
  for (;;) {
    const res = await api<ShadowReportResponse>(conn, 'GET', '/v1/admin/shadow/report', {
      query: { runId: values.run, cursor },
    });
    run = res.body.run;
    reports.push(res.body.report);
    events += res.body.report.events.total;
    const { from, to, position } = res.body.progress;
    bar?.update(Date.parse(position) - Date.parse(from), Date.parse(to) - Date.parse(from), events);
    if (res.body.complete || !res.body.cursor) break;
    cursor = res.body.cursor;
  }
  bar?.done();
  const merged = mergeReports(reports)!;
  console.log(describe(run));
  const title = `Shadow run ${run.runId}`;
  printReport(merged, title, shown);
  await writeReportFiles(merged, {
    ...(values.html ? { html: values.html } : {}),
    ...(values.json ? { json: values.json } : {}),
    title,
    facts: [
      ['shadow run', run.runId],
      ['started', `${run.startedAt} by ${run.startedBy}`],
      ['status', run.status],
    ],
  });
  if (values.html) console.error(`HTML report written to ${values.html}`);
  return 0;
}

export const shadowCommand: Command = {
  summary: 'shadow mode: score a candidate policy beside the live one on every decision, and report disagreements',
  usage: USAGE,
  subcommands: SUBCOMMANDS,
  async run(args) {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    const [sub] = positionals;
    if (values.help || !sub) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    if (!(SUBCOMMANDS as readonly string[]).includes(sub))
      throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`, 2);
    const conn = await connect(values);
    if (sub === 'start') {
      if (!values.policy) throw new CliError('shadow start needs --policy <candidate.json>', 2);
      if (!values.reason) throw new CliError('shadow start needs --reason <why>: it goes into the audit trail', 2);
      const doc = await readPolicyFile(values.policy);
      validatePolicy(doc, values.policy);
      const res = await api<ShadowRunView>(conn, 'POST', '/v1/admin/shadow', {
        body: { policy: doc, reason: values.reason },
      });
      console.log(`${describe(res.body)}\nscoring every decision within ${res.body.effectiveWithinSeconds ?? 5} s`);
      return 0;
    }
    if (sub === 'status') {
      console.log(describe((await api<ShadowStatusResponse>(conn, 'GET', '/v1/admin/shadow')).body));
      return 0;
    }
    if (sub === 'stop') {
      if (!values.reason) throw new CliError('shadow stop needs --reason <why>', 2);
      const res = await api<ShadowRunView>(conn, 'POST', '/v1/admin/shadow/stop', { body: { reason: values.reason } });
      console.log(describe(res.body));
      return 0;
    }
    return report(conn, values);
  },
};
