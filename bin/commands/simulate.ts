import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError, type Command } from '../cli';
import { progressBar } from '../../tools/evaluation/progress-bar';
import type { Policy } from '../../lambdas/core/policy/policy-schema';
import type { ReplayChunkResponse } from '../../lambdas/handlers/admin/responses';
import { parseReplayEventJson } from '../../lambdas/core/simulation/replay-event-json';
import { mergeReports, Simulation, type SimulationReport } from '../../lambdas/core/simulation/simulation';
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
} from './admin-client';

const USAGE = `usage:
  stepgate simulate --policy <candidate.json> [--from <iso>] [--to <iso>] [--baseline recorded|active|<version>]
                    [--html <report.html>] [--json <report.json>] [--changed <n>] [--quiet]
      replay the decisions recorded in the service (default: the last 7 days) under the candidate
  stepgate simulate --events <events.jsonl> --policy <candidate.json> [--baseline-policy <policy.json>]
                    [--html <report.html>] [--json <report.json>] [--changed <n>] [--quiet]
      offline: replay an exported events file (stepgate events --export) without any service

Each event is re-evaluated on exactly the input the engine saw when it was decided; the report shows how the
decisions move (allow→step_up, ...) per action, the friction rate, and against feedback labels the fraud caught
and the legit friction, with the events that changed. The same events, policy and version give the same report.
--changed sets how many changed events are listed (default 20; all are in --json and up to 1000 in --html).

${CONNECTION_HELP}`;

const OPTIONS = {
  policy: { type: 'string' },
  events: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  baseline: { type: 'string' },
  'baseline-policy': { type: 'string' },
  html: { type: 'string' },
  json: { type: 'string' },
  changed: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

/** Replays an events file line by line (it can be large); the progress bar follows the bytes read. */
export async function simulateFile(
  path: string,
  candidate: Policy,
  options: { baseline?: Policy; quiet?: boolean; maxChangedEvents?: number } = {},
): Promise<SimulationReport> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new CliError(`cannot read events ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const simulation = new Simulation(candidate, {
    ...(options.baseline ? { baseline: options.baseline } : {}),
    ...(options.maxChangedEvents !== undefined ? { maxChangedEvents: options.maxChangedEvents } : {}),
  });
  const bar = options.quiet ? undefined : progressBar(process.stderr, 'replaying');
  const stream = createReadStream(path);
  let bytes = 0;
  stream.on('data', (chunk) => (bytes += chunk.length));
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let events = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new CliError(`${path}:${line}: not JSON`);
      }
      const parsed = parseReplayEventJson(json);
      if (!parsed.ok) throw new CliError(`${path}:${line}: ${parsed.path}: ${parsed.message}`);
      simulation.add(parsed.event);
      events++;
      if (bar && events % 500 === 0) bar.update(bytes, size, events);
    }
  } finally {
    stream.destroy();
  }
  bar?.update(size, size, events);
  bar?.done();
  return simulation.report();
}

async function online(
  values: Record<string, string | boolean | undefined>,
  candidate: Record<string, unknown>,
  maxChangedEvents: number,
): Promise<SimulationReport> {
  const conn = await connect(values);
  const baseline =
    values.baseline === undefined || values.baseline === 'recorded' || values.baseline === 'active'
      ? (values.baseline as string | undefined)
      : int(values.baseline as string, 'baseline');
  const reports: SimulationReport[] = [];
  const bar = values.quiet ? undefined : progressBar(process.stderr, 'replaying');
  let cursor: string | undefined;
  let events = 0;
  for (;;) {
    const res = await api<ReplayChunkResponse>(conn, 'POST', '/v1/admin/policy/simulate', {
      body: {
        policy: candidate,
        ...(values.from ? { from: values.from } : {}),
        ...(values.to ? { to: values.to } : {}),
        ...(baseline !== undefined ? { baseline } : {}),
        maxChangedEvents,
        ...(cursor ? { cursor } : {}),
      },
    });
    reports.push(res.body.report);
    events += res.body.report.events.total;
    const { from, to, position } = res.body.progress;
    // Progress through the time window: the service replays it in order, a chunk per call.
    bar?.update(Date.parse(position) - Date.parse(from), Date.parse(to) - Date.parse(from), events);
    if (res.body.complete || !res.body.cursor) break;
    cursor = res.body.cursor;
  }
  bar?.done();
  return mergeReports(reports, maxChangedEvents)!;
}

export const simulateCommand: Command = {
  summary: 'backtest a candidate policy on recorded decisions (service or events file): transitions, friction, labels',
  usage: USAGE,
  async run(args) {
    const { values } = parse(args, OPTIONS, USAGE);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.policy) throw new CliError(`--policy <candidate.json> is required\n\n${USAGE}`, 2);
    const doc = await readPolicyFile(values.policy);
    const candidate = validatePolicy(doc, values.policy);
    const shown = int(values.changed, 'changed', 20)!;
    // Enough for the HTML page's list and more than the terminal shows; the counts always cover every event.
    const maxChangedEvents = Math.max(1000, shown);
    let report: SimulationReport;
    let source: string;
    if (values.events) {
      if (values.from || values.to || values.baseline) {
        throw new CliError('--from, --to and --baseline apply to the service; offline, use --baseline-policy', 2);
      }
      const baseline = values['baseline-policy']
        ? validatePolicy(await readPolicyFile(values['baseline-policy']), values['baseline-policy'])
        : undefined;
      report = await simulateFile(values.events, candidate, {
        ...(baseline ? { baseline } : {}),
        quiet: values.quiet === true,
        maxChangedEvents,
      });
      source = values.events;
    } else {
      if (values['baseline-policy']) throw new CliError('--baseline-policy is for --events files; use --baseline', 2);
      report = await online(values, doc, maxChangedEvents);
      source = 'recorded decisions in the service';
    }
    const title = `Simulation of ${values.policy}`;
    printReport(report, title, shown);
    await writeReportFiles(report, {
      ...(values.html ? { html: values.html } : {}),
      ...(values.json ? { json: values.json } : {}),
      title,
      facts: [
        ['candidate file', values.policy],
        ['events from', source],
      ],
    });
    if (values.html) console.error(`HTML report written to ${values.html}`);
    if (values.json) console.error(`JSON report written to ${values.json}`);
    return 0;
  },
};
