import type { PopulationSummary } from './evaluation-metrics';

/** The parts of the report the HTML page shows. */
export interface HtmlReportInput {
  title: string;
  facts: [string, string][];
  headline: PopulationSummary;
  byHistory: Record<string, PopulationSummary>;
  apart: Record<string, PopulationSummary>;
  roc: Record<string, [number, number, number][]>;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (x: number | null | undefined) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)} %`;

function populationTable(p: PopulationSummary): string {
  const head =
    '<tr><th>attacker model</th><th>rows</th><th>policy block rate</th><th>at 1 % friction</th><th>at 2 % friction</th><th>at 5 % friction</th><th>AUC</th></tr>';
  const rows = p.models
    .map((m) => {
      const at = m.atFriction.map(
        (o) => `<td title="step up at score ≥ ${o.threshold}, friction ${pct(o.friction)}">${pct(o.blockRate)}</td>`,
      );
      return `<tr><td>${esc(m.model)}</td><td>${m.rows}</td><td>${pct(m.policyBlockRate)}</td>${at.join('')}<td>${m.auc === null ? '–' : m.auc.toFixed(4)}</td></tr>`;
    })
    .join('\n');
  return `<p>${p.legitLogins} legitimate successful logins; the policy's own legit friction: <b>${pct(p.legitFriction)}</b> (denied ${pct(p.legitDenyRate)}).</p>
<table>${head}\n${rows}</table>`;
}

/** An ROC plot as inline SVG; `maxFpr` < 1 zooms on the low-friction region that matters for a login page. */
function rocSvg(roc: HtmlReportInput['roc'], maxFpr: number): string {
  const w = 420;
  const h = 320;
  const m = { l: 48, r: 12, t: 12, b: 40 };
  const x = (fpr: number) => m.l + (Math.min(fpr, maxFpr) / maxFpr) * (w - m.l - m.r);
  const y = (tpr: number) => h - m.b - tpr * (h - m.t - m.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks
    .map(
      (t) =>
        `<line x1="${x(t * maxFpr)}" y1="${y(0)}" x2="${x(t * maxFpr)}" y2="${y(1)}" class="g"/><text x="${x(t * maxFpr)}" y="${h - m.b + 14}" text-anchor="middle">${+(t * maxFpr * 100).toFixed(1)}%</text>` +
        `<line x1="${x(0)}" y1="${y(t)}" x2="${x(maxFpr)}" y2="${y(t)}" class="g"/><text x="${m.l - 4}" y="${y(t) + 4}" text-anchor="end">${t * 100}%</text>`,
    )
    .join('');
  const lines = Object.entries(roc)
    .map(([model, points], i) => {
      const color = COLORS[i % COLORS.length] ?? '#000';
      const visible = points.filter((p) => p[0] <= maxFpr + 1e-9);
      // Carry the curve to the right edge at the height reached within the window.
      const last = visible[visible.length - 1];
      const path = visible.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
      if (last) path.push(`${x(maxFpr).toFixed(1)},${y(last[1]).toFixed(1)}`);
      return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${path.join(' ')}"><title>${esc(model)}</title></polyline>`;
    })
    .join('');
  const legend = Object.keys(roc)
    .map(
      (model, i) =>
        `<tspan fill="${COLORS[i % COLORS.length] ?? '#000'}" x="${m.l + 8}" dy="14">■ ${esc(model)}</tspan>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="ROC curve">
<rect x="${m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="#fff" stroke="#999"/>${grid}
<line x1="${x(0)}" y1="${y(0)}" x2="${x(maxFpr)}" y2="${y(Math.min(1, maxFpr))}" stroke="#bbb" stroke-dasharray="4 3"/>${lines}
<text x="${(w + m.l) / 2}" y="${h - 6}" text-anchor="middle">legit friction (false positive rate)</text>
<text transform="translate(12 ${(h - m.b) / 2}) rotate(-90)" text-anchor="middle">attacks blocked</text>
<text x="${m.l}" y="${m.t + 120}" font-size="11">${legend}</text></svg>`;
}

/** A single self-contained HTML page: inline CSS and SVG, no scripts, no external assets. */
export function renderHtmlReport(r: HtmlReportInput): string {
  const facts = r.facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const history = Object.entries(r.byHistory)
    .map(([bucket, p]) => `<h3>${esc(bucket)} prior trusted logins</h3>${populationTable(p)}`)
    .join('\n');
  const apart = Object.entries(r.apart)
    .map(([name, p]) => `<h3>${esc(name)}</h3>${populationTable(p)}`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .g{stroke:#eee}
.plots{display:flex;gap:1em;flex-wrap:wrap}
</style></head><body>
<h1>${esc(r.title)}</h1>
<table>${facts}</table>
<h2>Users with history</h2>
<p>Block rate at a fixed legit friction: the share of attack attempts that a policy stepping up at the threshold
would have challenged, with the threshold set so that at most 1 %, 2 % or 5 % of legitimate successful logins are
challenged. Thresholds are integer scores; no interpolation.</p>
${populationTable(r.headline)}
<div class="plots"><figure>${rocSvg(r.roc, 1)}<figcaption>ROC, users with history</figcaption></figure>
<figure>${rocSvg(r.roc, 0.1)}<figcaption>ROC, legit friction 0-10 %</figcaption></figure></div>
<h2>By history length</h2>
${history}
<h2>Counted apart</h2>
<p>Rows decided by policy alone: the warm-up days of the replay, first logins of a user, logins to unknown accounts.</p>
${apart}
</body></html>
`;
}
