import type { Decision } from '../risk/types';
import { formatCount, formatRate, transitionSummary } from './report-text';
import {
  DECISIONS,
  HISTOGRAM_BUCKET_WIDTH,
  LABEL_KEYS,
  type LabelKey,
  type SimulationReport,
  type TransitionMatrix,
} from './simulation';

/**
 * A simulation or shadow report as one self-contained HTML page: inline CSS and SVG, no script, no external
 * asset, so it can be attached to a change request and opened anywhere. Every value from the data (action names,
 * user ids, reasons) is escaped.
 */

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const BEFORE = '#9aa5b1';
const AFTER = '#1f77b4';
const MOVE_COLORS: Record<string, string> = {
  'allow→step_up': '#ff7f0e',
  'allow→deny': '#d62728',
  'step_up→deny': '#8c1c13',
  'step_up→allow': '#2ca02c',
  'deny→allow': '#17becf',
  'deny→step_up': '#9467bd',
};
const LABEL_TITLES: Record<LabelKey, string> = {
  fraud: 'labelled fraud',
  legit: 'labelled legit',
  unlabelled: 'unlabelled',
};

/** Score histogram of one label: a pair of bars (before, after) per bucket. */
function histogramSvg(before: readonly number[], after: readonly number[], title: string): string {
  const w = 420;
  const h = 220;
  const m = { l: 44, r: 10, t: 24, b: 36 };
  const max = Math.max(1, ...before, ...after);
  const plotW = w - m.l - m.r;
  const plotH = h - m.t - m.b;
  const slot = plotW / before.length;
  const bar = Math.max(2, slot / 2 - 2);
  const y = (v: number) => m.t + plotH - (v / max) * plotH;
  const bars = before
    .map((b, i) => {
      const a = after[i] ?? 0;
      const x = m.l + i * slot + 1;
      const range = `${i * HISTOGRAM_BUCKET_WIDTH}-${i === before.length - 1 ? 100 : (i + 1) * HISTOGRAM_BUCKET_WIDTH - 1}`;
      return (
        `<rect x="${x.toFixed(1)}" y="${y(b).toFixed(1)}" width="${bar.toFixed(1)}" height="${(m.t + plotH - y(b)).toFixed(1)}" fill="${BEFORE}"><title>score ${range} before: ${b}</title></rect>` +
        `<rect x="${(x + bar + 1).toFixed(1)}" y="${y(a).toFixed(1)}" width="${bar.toFixed(1)}" height="${(m.t + plotH - y(a)).toFixed(1)}" fill="${AFTER}"><title>score ${range} after: ${a}</title></rect>` +
        `<text x="${(m.l + i * slot + slot / 2).toFixed(1)}" y="${h - m.b + 14}" text-anchor="middle">${i * HISTOGRAM_BUCKET_WIDTH}</text>`
      );
    })
    .join('');
  const ticks = [0, 0.5, 1]
    .map((t) => {
      const v = Math.round(max * t);
      return `<line x1="${m.l}" x2="${w - m.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="g"/><text x="${m.l - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}">
<text x="${m.l}" y="14" class="t">${esc(title)}</text>${ticks}${bars}
<text x="${(m.l + plotW / 2).toFixed(1)}" y="${h - 4}" text-anchor="middle">score</text>
<rect x="${w - m.r - 120}" y="4" width="10" height="10" fill="${BEFORE}"/><text x="${w - m.r - 106}" y="13">before</text>
<rect x="${w - m.r - 60}" y="4" width="10" height="10" fill="${AFTER}"/><text x="${w - m.r - 46}" y="13">after</text></svg>`;
}

function moves(m: TransitionMatrix): [string, number][] {
  const out: [string, number][] = [];
  for (const b of DECISIONS) for (const a of DECISIONS) if (a !== b) out.push([`${b}→${a}`, m[b][a]]);
  return out;
}

/** One stacked horizontal bar per action: how many of its events moved, and where to. */
function transitionsSvg(report: SimulationReport): string {
  const rows = Object.entries(report.byAction);
  const w = 720;
  const rowH = 22;
  const m = { l: 190, r: 60, t: 28, b: 40 };
  const h = m.t + m.b + Math.max(1, rows.length) * rowH;
  const max = Math.max(1, ...rows.map(([, a]) => a.changed));
  const plotW = w - m.l - m.r;
  const body = rows
    .map(([name, a], i) => {
      let x = m.l;
      const y = m.t + i * rowH;
      const segments = moves(a.transitions)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => {
          const width = (n / max) * plotW;
          const rect = `<rect x="${x.toFixed(1)}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowH - 6}" fill="${MOVE_COLORS[k] ?? '#777'}"><title>${esc(name)}: ${k} ${n}</title></rect>`;
          x += width;
          return rect;
        })
        .join('');
      return `<text x="${m.l - 6}" y="${y + rowH / 2 + 4}" text-anchor="end">${esc(name)}</text>${segments}<text x="${(x + 4).toFixed(1)}" y="${y + rowH / 2 + 4}">${a.changed}</text>`;
    })
    .join('');
  const legend = Object.entries(MOVE_COLORS)
    .map(
      ([k, c], i) =>
        `<rect x="${m.l + i * 88}" y="${h - 22}" width="10" height="10" fill="${c}"/><text x="${m.l + i * 88 + 14}" y="${h - 13}">${k}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="decision transitions per action">
<text x="${m.l}" y="16" class="t">Changed decisions per action</text>${body}${legend}</svg>`;
}

function matrixTable(m: TransitionMatrix): string {
  const total = DECISIONS.reduce((s, b) => s + DECISIONS.reduce((t, a) => t + m[b][a], 0), 0);
  const cell = (b: Decision, a: Decision) => {
    const n = m[b][a];
    const shade = total === 0 ? 0 : Math.sqrt(n / total);
    const bg =
      a === b ? `rgba(120,120,120,${(shade * 0.5).toFixed(3)})` : `rgba(214,39,40,${(0.1 + shade * 0.9).toFixed(3)})`;
    return `<td style="background:${n === 0 ? 'transparent' : bg}">${formatCount(n)}</td>`;
  };
  const head = `<tr><th>before \\ after</th>${DECISIONS.map((d) => `<th>${d}</th>`).join('')}</tr>`;
  const rows = DECISIONS.map((b) => `<tr><th>${b}</th>${DECISIONS.map((a) => cell(b, a)).join('')}</tr>`).join('');
  return `<table class="m">${head}${rows}</table>`;
}

export interface HtmlReportOptions {
  readonly title: string;
  /** Extra key/value facts shown at the top (candidate file, source, generated by). */
  readonly facts?: readonly (readonly [string, string])[];
  readonly changedEvents?: number;
}

export function renderReportHtml(report: SimulationReport, options: HtmlReportOptions): string {
  const baseline = report.baseline === 'recorded' ? 'recorded answers' : `policy v${report.baseline}`;
  const facts: [string, string][] = [
    ['candidate', `v${report.candidateVersion}`],
    ['compared with', baseline],
    ['events', `${formatCount(report.events.total)} (${formatCount(report.events.compared)} compared)`],
    [
      'skipped',
      `${formatCount(report.events.skipped.notReplayable)} without replay input, ${formatCount(report.events.skipped.unknownAction)} unknown action`,
    ],
    ['time range', report.range ? `${report.range.from} – ${report.range.to}` : '–'],
    [
      'friction (step_up or deny)',
      `${formatRate(report.friction.beforeRate)} → ${formatRate(report.friction.afterRate)}`,
    ],
    ['decisions changed', formatCount(report.changed)],
    [
      'fraud caught',
      `${formatRate(report.labels.fraud.caughtRateBefore)} → ${formatRate(report.labels.fraud.caughtRateAfter)} of ${formatCount(report.labels.fraud.events)}`,
    ],
    [
      'legit friction',
      `${formatRate(report.labels.legit.frictionRateBefore)} → ${formatRate(report.labels.legit.frictionRateAfter)} of ${formatCount(report.labels.legit.events)}`,
    ],
    ...(options.facts ?? []).map(([k, v]) => [k, v] as [string, string]),
  ];
  const factRows = facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const actionRows = Object.entries(report.byAction)
    .map(
      ([name, a]) =>
        `<tr><td>${esc(name)}</td><td>${formatCount(a.compared)}</td><td>${formatCount(a.changed)}</td><td>${formatRate(a.friction.beforeRate)}</td><td>${formatRate(a.friction.afterRate)}</td><td class="l">${esc(transitionSummary(a.transitions))}</td></tr>`,
    )
    .join('');
  const hist = LABEL_KEYS.map((label) =>
    histogramSvg(report.histograms.before[label], report.histograms.after[label], `Scores, ${LABEL_TITLES[label]}`),
  ).join('\n');
  const limit = options.changedEvents ?? 200;
  const changed = report.changedEvents
    .slice(0, limit)
    .map(
      (c) =>
        `<tr><td class="l">${esc(c.at)}</td><td class="l">${esc(c.decisionId)}</td><td class="l">${esc(c.userId)}</td><td class="l">${esc(c.action)}</td><td class="l">${esc(c.label ?? '')}</td><td class="l">${esc(c.before.decision)} ${c.before.score}</td><td class="l">${esc(c.after.decision)} ${c.after.score}</td><td class="l">${esc((c.after.reasons ?? []).join(' '))}</td></tr>`,
    )
    .join('\n');
  const shownNote =
    report.changed > Math.min(limit, report.changedEvents.length)
      ? `<p>First ${Math.min(limit, report.changedEvents.length)} of ${formatCount(report.changed)} changed events.</p>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}table.f th{text-align:left}
table.m td{min-width:70px}svg{margin:4px 12px 12px 0}svg text{font:11px system-ui,sans-serif;fill:#333}
svg text.t{font-weight:600;font-size:12px}svg line.g{stroke:#eee}
</style></head><body>
<h1>${esc(options.title)}</h1>
<table class="f">${factRows}</table>
<h2>Decision transitions</h2>
${matrixTable(report.transitions)}
${transitionsSvg(report)}
<h2>Per action</h2>
<table><tr><th class="l">action</th><th>events</th><th>changed</th><th>friction before</th><th>friction after</th><th class="l">transitions</th></tr>${actionRows}</table>
<h2>Score distribution per label</h2>
<div>${hist}</div>
<h2>Changed events</h2>
${shownNote}
<table><tr><th class="l">time</th><th class="l">decision</th><th class="l">user</th><th class="l">action</th><th class="l">label</th><th class="l">before</th><th class="l">after</th><th class="l">reasons</th></tr>
${changed}</table>
</body></html>
`;
}
