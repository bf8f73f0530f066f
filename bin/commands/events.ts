import { open } from 'node:fs/promises';
import { CliError, type Command } from '../cli';
import { progressBar } from '../../tools/evaluation/progress-bar';
import { renderTable } from '../../lambdas/core/simulation/report-text';
import type { EventsExportResponse, EventView, UserEventsResponse } from '../../lambdas/handlers/admin/responses';
import { api, connect, CONNECTION_HELP, int, parse } from './admin-client';

const USAGE = `usage:
  stepgate events <userId> [--limit <n>] [--json]
      one user's decisions, newest first, with reasons, labels and shadow answers (the read is audited)
  stepgate events --export <events.jsonl> [--from <iso>] [--to <iso>] [--quiet]
      every recorded decision of a window (default: the last 7 days) as JSON lines, with what a replay needs:
      the input of \`stepgate simulate --events\`

${CONNECTION_HELP}`;

const OPTIONS = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  export: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

export const eventsCommand: Command = {
  summary: "a user's decision history, or an export of recorded decisions for offline simulate",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    if (values.help || (!positionals[0] && !values.export)) {
      console.log(USAGE);
      return values.help ? 0 : 2;
    }
    const conn = await connect(values);
    if (values.export) {
      const file = await open(values.export, 'w');
      const bar = values.quiet ? undefined : progressBar(process.stderr, 'exporting');
      let cursor: string | undefined;
      let count = 0;
      try {
        for (;;) {
          const res = await api<EventsExportResponse>(conn, 'GET', '/v1/admin/events', {
            query: { from: values.from, to: values.to, limit: '1000', cursor },
          });
          const lines = res.body.events.map((e) => `${JSON.stringify(e)}\n`).join('');
          if (lines) await file.write(lines);
          count += res.body.events.length;
          const { from, to, position } = res.body.progress;
          bar?.update(Date.parse(position) - Date.parse(from), Date.parse(to) - Date.parse(from), count);
          if (!res.body.cursor) break;
          cursor = res.body.cursor;
        }
      } finally {
        await file.close();
        bar?.done();
      }
      console.error(`${count} events written to ${values.export}`);
      return 0;
    }
    const userId = positionals[0]!;
    const limit = int(values.limit, 'limit', 50)!;
    if (limit < 1) throw new CliError('--limit: at least 1', 2);
    const events: EventView[] = [];
    let cursor: string | undefined;
    while (events.length < limit) {
      const res = await api<UserEventsResponse>(conn, 'GET', `/v1/admin/users/${encodeURIComponent(userId)}/events`, {
        query: { limit: String(Math.min(200, limit - events.length)), cursor },
      });
      events.push(...res.body.events);
      if (!res.body.cursor) break;
      cursor = res.body.cursor;
    }
    if (values.json) {
      for (const e of events) console.log(JSON.stringify(e));
      return 0;
    }
    if (events.length === 0) {
      console.log(`no recorded decisions for ${userId}`);
      return 0;
    }
    console.log(
      renderTable(
        ['time', 'decision id', 'action', 'decision', 'score', 'policy', 'from', 'label', 'shadow', 'reasons'],
        events.map((e) => [
          e.at,
          e.decisionId,
          e.action,
          e.decision,
          String(e.score),
          `v${e.policyVersion}`,
          [e.context.ip, e.context.city ?? e.context.country, e.context.browser].filter(Boolean).join(' '),
          e.feedback?.label ?? '',
          e.shadow ? `${e.shadow.decision} ${e.shadow.score}` : '',
          e.reasons
            .filter((r) => r.points !== 0)
            .map((r) => `${r.code}(${r.points})`)
            .join(' '),
        ]),
        10,
      ),
    );
    return 0;
  },
};
