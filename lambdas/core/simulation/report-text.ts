import type { Decision } from '../risk/types';
import { DECISIONS, type SimulationReport, type TransitionMatrix } from './simulation';

/** Plain-text rendering of simulation and shadow reports, for the terminal. */

export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatRate(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

/** A left-aligned first column and right-aligned numbers, two spaces apart. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], leftColumns = 1): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const arrow = (from: Decision, to: Decision) => `${from}→${to}`;

/** The off-diagonal cells, most frequent first: "allow→step_up 12, step_up→allow 3". */
export function transitionSummary(m: TransitionMatrix): string {
  const moves: [string, number][] = [];
  for (const b of DECISIONS) for (const a of DECISIONS) if (a !== b && m[b][a] > 0) moves.push([arrow(b, a), m[b][a]]);
  moves.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  return moves.length === 0 ? 'none' : moves.map(([k, n]) => `${k} ${formatCount(n)}`).join(', ');
}

export interface RenderOptions {
  readonly title?: string;
  /** How many changed events to list (default 20). */
  readonly changedEvents?: number;
}

export function renderReportText(report: SimulationReport, options: RenderOptions = {}): string {
  const out: string[] = [];
  const baseline = report.baseline === 'recorded' ? 'the recorded answers' : `policy v${report.baseline}`;
  out.push(`${options.title ?? 'Simulation'}: candidate v${report.candidateVersion} against ${baseline}`);
  const { events } = report;
  out.push(
    `${formatCount(events.total)} events, ${formatCount(events.compared)} compared` +
      (events.skipped.notReplayable + events.skipped.unknownAction > 0
        ? ` (skipped: ${formatCount(events.skipped.notReplayable)} without replay input, ` +
          `${formatCount(events.skipped.unknownAction)} with an action the candidate does not know)`
        : ''),
  );
  if (report.range) out.push(`from ${report.range.from} to ${report.range.to}`);
  out.push('');
  out.push('Decision transitions (rows: before, columns: after)');
  out.push(
    renderTable(
      ['', ...DECISIONS],
      DECISIONS.map((b) => [b, ...DECISIONS.map((a) => formatCount(report.transitions[b][a]))]),
    ),
  );
  out.push('');
  out.push(
    `Friction (step_up or deny): ${formatRate(report.friction.beforeRate)} → ${formatRate(report.friction.afterRate)}; ` +
      `decisions changed: ${formatCount(report.changed)}; scores changed: ${formatCount(report.scoreChanged)}`,
  );
  out.push('');
  out.push('Per action');
  out.push(
    renderTable(
      ['action', 'events', 'changed', 'friction before', 'after', 'transitions'],
      Object.entries(report.byAction).map(([name, a]) => [
        name,
        formatCount(a.compared),
        formatCount(a.changed),
        formatRate(a.friction.beforeRate),
        formatRate(a.friction.afterRate),
        transitionSummary(a.transitions),
      ]),
    ).replace(/ +$/gm, ''),
  );
  out.push('');
  const { fraud, legit } = report.labels;
  out.push('Against feedback labels');
  out.push(
    renderTable(
      ['label', 'events', 'before', 'after'],
      [
        [
          'fraud caught',
          formatCount(fraud.events),
          `${formatCount(fraud.caughtBefore)} (${formatRate(fraud.caughtRateBefore)})`,
          `${formatCount(fraud.caughtAfter)} (${formatRate(fraud.caughtRateAfter)})`,
        ],
        [
          'legit friction',
          formatCount(legit.events),
          `${formatCount(legit.frictionBefore)} (${formatRate(legit.frictionRateBefore)})`,
          `${formatCount(legit.frictionAfter)} (${formatRate(legit.frictionRateAfter)})`,
        ],
        ['unlabelled', formatCount(report.labels.unlabelled), '', ''],
      ],
    ),
  );
  const limit = options.changedEvents ?? 20;
  if (report.changedEvents.length > 0 && limit > 0) {
    out.push('');
    const shown = report.changedEvents.slice(0, limit);
    const more = report.changed - shown.length;
    out.push(`Changed events${more > 0 ? ` (first ${shown.length} of ${formatCount(report.changed)})` : ''}`);
    out.push(
      renderTable(
        ['time', 'decision id', 'user', 'action', 'label', 'before', 'after', 'reasons'],
        shown.map((c) => [
          c.at,
          c.decisionId,
          c.userId,
          c.action,
          c.label ?? '',
          `${c.before.decision} ${c.before.score}`,
          `${c.after.decision} ${c.after.score}`,
          (c.after.reasons ?? []).join(' '),
        ]),
        8,
      ),
    );
  }
  return out.join('\n');
}
