import type { AuditEvent } from './audit-event';
import type { ChainBreak, ChainBreakKind } from './hash-chain';

/**
 * A SOC 2 evidence summary of the audit trail over a period: what the access controls decided, how step-ups went,
 * who changed the risk policy (when, why), how analysts labelled events, who read audit data, and whether the
 * trail itself verified. Pure: it takes the period's records and a verification result, and renders text or HTML.
 */
export interface EvidenceSummary {
  readonly from: string;
  readonly to: string;
  readonly records: number;
  readonly decisions: { readonly total: number; readonly rows: readonly CountRow[] };
  readonly stepUps: {
    readonly challengesIssued: number;
    readonly verifications: number;
    readonly passed: number;
    readonly failed: number;
    readonly byOutcome: readonly CountRow[];
  };
  readonly grants: {
    readonly issued: number;
    /** Distinct grants that turned at least one decision into an allow. */
    readonly redeemed: number;
    /** Decisions a grant turned into an allow (a grant may serve several until its max age). */
    readonly redemptions: number;
  };
  readonly policyChanges: readonly PolicyChangeRow[];
  readonly feedback: { readonly labelled: readonly CountRow[]; readonly removed: number };
  readonly adminReads: readonly CountRow[];
  readonly verification: {
    readonly ok: boolean;
    readonly chains: number;
    readonly records: number;
    readonly breaks: number;
    readonly byKind: Readonly<Partial<Record<ChainBreakKind, number>>>;
    /** `checkpoint N of <time>`, or `none`. */
    readonly anchor: string;
  };
}

export interface CountRow {
  readonly key: readonly string[];
  readonly count: number;
}

export interface PolicyChangeRow {
  readonly at: string;
  readonly kind: string;
  readonly who: string;
  readonly policyVersion?: number;
  readonly why?: string;
}

export interface VerificationInput {
  readonly ok: boolean;
  readonly chains: number;
  readonly records: number;
  readonly breaks: readonly ChainBreak[];
  /** The checkpoint verified against; null or absent: none (the trail was checked only against itself). */
  readonly anchor?: { readonly checkpoint: number; readonly at: string } | null;
}

/** Step-up verification outcomes that mean the user proved it; every other outcome counts as failed. */
const PASSED_OUTCOMES = new Set(['passed', 'pass', 'success', 'succeeded', 'verified', 'ok']);
const POLICY_KINDS = new Set([
  'policy.changed',
  'policy.proposed',
  'policy.approved',
  'policy.rejected',
  'shadow.changed',
]);

/**
 * A redemption is recorded on the decision it allowed (`data.redeemedStepUpId`, in the decision's own transaction);
 * `grant.redeemed` records are counted too, should a writer ever emit them.
 */
function redemptions(events: readonly AuditEvent[]): { redeemed: number; redemptions: number } {
  const grants = new Set<string>();
  let count = 0;
  for (const e of events) {
    const id =
      e.kind === 'decision'
        ? e.data?.redeemedStepUpId
        : e.kind === 'grant.redeemed'
          ? (e.data?.stepUpId ?? e.eventId)
          : undefined;
    if (typeof id !== 'string' || id === '') continue;
    grants.add(id);
    count += 1;
  }
  return { redeemed: grants.size, redemptions: count };
}

/**
 * Who did it, as a person reads it: user-pool actors are recorded by their stable `sub`, with the username beside
 * it in `data.username` (the name the API and the console show); both are shown, so the line can be matched to the
 * user pool either way.
 */
export function actorLabel(e: AuditEvent): string {
  const id = `${e.actor.type}:${e.actor.id}`;
  const username = e.data?.username;
  if (e.actor.type !== 'user' || typeof username !== 'string' || username === '' || username === e.actor.id) return id;
  return `${username} (${id})`;
}

function countBy(events: readonly AuditEvent[], key: (e: AuditEvent) => readonly string[]): CountRow[] {
  const counts = new Map<string, { key: readonly string[]; count: number }>();
  for (const e of events) {
    const k = key(e);
    const id = JSON.stringify(k);
    const row = counts.get(id) ?? { key: k, count: 0 };
    row.count += 1;
    counts.set(id, row);
  }
  return [...counts.values()].sort(
    (a, b) => b.count - a.count || a.key.join('\u0000').localeCompare(b.key.join('\u0000')),
  );
}

export function summarizeEvidence(
  range: { from: string; to: string },
  events: readonly AuditEvent[],
  verification: VerificationInput,
): EvidenceSummary {
  const of = (kind: string) => events.filter((e) => e.kind === kind);
  const decisions = of('decision');
  const verifications = of('step_up.verification');
  const passed = verifications.filter((e) => PASSED_OUTCOMES.has(e.outcome ?? '')).length;
  const byKind: Partial<Record<ChainBreakKind, number>> = {};
  for (const b of verification.breaks) byKind[b.kind] = (byKind[b.kind] ?? 0) + 1;
  const label = (e: AuditEvent) => e.outcome ?? (typeof e.data?.label === 'string' ? e.data.label : '(none)');
  return {
    from: range.from,
    to: range.to,
    records: events.length,
    decisions: {
      total: decisions.length,
      rows: countBy(decisions, (e) => [e.action ?? '(none)', e.outcome ?? '(none)']),
    },
    stepUps: {
      challengesIssued: of('step_up.challenge_issued').length,
      verifications: verifications.length,
      passed,
      failed: verifications.length - passed,
      byOutcome: countBy(verifications, (e) => [e.outcome ?? '(none)']),
    },
    grants: { issued: of('grant.issued').length, ...redemptions(events) },
    policyChanges: events
      .filter((e) => POLICY_KINDS.has(e.kind))
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((e) => ({
        at: e.at,
        kind: e.kind,
        who: actorLabel(e),
        ...(e.policyVersion !== undefined ? { policyVersion: e.policyVersion } : {}),
        ...(e.why !== undefined ? { why: e.why } : {}),
      })),
    feedback: { labelled: countBy(of('feedback.labelled'), (e) => [label(e)]), removed: of('feedback.removed').length },
    adminReads: countBy(of('admin.read'), (e) => [actorLabel(e), e.action ?? '(none)']),
    verification: {
      ok: verification.ok,
      chains: verification.chains,
      records: verification.records,
      breaks: verification.breaks.length,
      byKind,
      anchor: verification.anchor
        ? `checkpoint ${verification.anchor.checkpoint} of ${verification.anchor.at}`
        : 'none',
    },
  };
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

interface Section {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

function sections(s: EvidenceSummary): Section[] {
  const counted = (rows: readonly CountRow[]) => rows.map((r) => [...r.key, String(r.count)]);
  const v = s.verification;
  return [
    {
      title: `Audit trail verification`,
      headers: ['status', 'chains', 'records', 'breaks', 'by kind', 'signed anchor'],
      rows: [
        [
          v.ok ? 'VERIFIED' : 'BROKEN',
          String(v.chains),
          String(v.records),
          String(v.breaks),
          Object.entries(v.byKind)
            .map(([k, n]) => `${k}=${n}`)
            .join(' ') || '-',
          v.anchor,
        ],
      ],
    },
    {
      title: `Decisions (${s.decisions.total})`,
      headers: ['action', 'outcome', 'count'],
      rows: counted(s.decisions.rows),
    },
    {
      title: 'Step-up authentication',
      headers: [
        'challenges issued',
        'verifications',
        'passed',
        'failed',
        'grants issued',
        'grants redeemed',
        'decisions allowed by a grant',
      ],
      rows: [
        [
          s.stepUps.challengesIssued,
          s.stepUps.verifications,
          s.stepUps.passed,
          s.stepUps.failed,
          s.grants.issued,
          s.grants.redeemed,
          s.grants.redemptions,
        ].map(String),
      ],
    },
    { title: 'Step-up verifications by outcome', headers: ['outcome', 'count'], rows: counted(s.stepUps.byOutcome) },
    {
      title: `Policy changes (${s.policyChanges.length})`,
      headers: ['when (UTC)', 'what', 'who', 'version', 'why'],
      rows: s.policyChanges.map((p) => [
        p.at,
        p.kind,
        p.who,
        p.policyVersion === undefined ? '-' : String(p.policyVersion),
        p.why ?? '-',
      ]),
    },
    {
      title: `Feedback labels (removed: ${s.feedback.removed})`,
      headers: ['label', 'count'],
      rows: counted(s.feedback.labelled),
    },
    { title: 'Reads of audit data', headers: ['who', 'what', 'count'], rows: counted(s.adminReads) },
  ];
}

export function renderEvidenceText(s: EvidenceSummary): string {
  const parts = [`stepgate audit evidence ${s.from} .. ${s.to} (${s.records} records)`];
  for (const section of sections(s)) {
    parts.push('', section.title, section.rows.length > 0 ? table(section.headers, section.rows) : '(none)');
  }
  return `${parts.join('\n')}\n`;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** One self-contained HTML page (inline CSS, no scripts, no external resources); every value is escaped. */
export function renderEvidenceHtml(s: EvidenceSummary, generatedAt: string): string {
  const body = sections(s)
    .map((section) => {
      const head = section.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
      const rows =
        section.rows.length > 0
          ? section.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')
          : `<tr><td colspan="${section.headers.length}">(none)</td></tr>`;
      return `<h2>${escapeHtml(section.title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
    })
    .join('\n');
  const status = s.verification.ok ? 'verified' : 'broken';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>stepgate audit evidence ${escapeHtml(s.from)} .. ${escapeHtml(s.to)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:1.5rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
.verified{color:#176f2c}.broken{color:#b00020}
</style></head><body>
<h1>stepgate audit evidence</h1>
<p>Period ${escapeHtml(s.from)} to ${escapeHtml(s.to)} (UTC, end exclusive) &middot; ${s.records} records &middot;
trail <strong class="${status}">${status}</strong> &middot; generated ${escapeHtml(generatedAt)}</p>
${body}
</body></html>
`;
}
