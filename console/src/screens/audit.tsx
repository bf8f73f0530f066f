import { useState } from 'preact/hooks';
import { api, query, raw } from '../api';
import { fmtTime, useLoad } from '../hooks';
import type { AuditVerificationSummary } from '../types';
import type { AuditEvent } from '../../../lambdas/core/audit/audit-event';
import {
  renderEvidenceHtml,
  summarizeEvidence,
  type EvidenceSummary,
} from '../../../lambdas/core/audit/evidence-report';

/** Records fetched for one export or report, at most: a larger range is narrowed, not truncated silently. */
const MAX_RECORDS = 50_000;

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** Every page of the trail for the range (JSON lines; the next cursor in `x-next-cursor`). */
async function records(from: string, to: string, onProgress: (n: number) => void): Promise<string[]> {
  const lines: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await raw(`/v1/admin/audit${query({ from, to, limit: 1000, cursor })}`);
    for (const line of page.text.split('\n')) if (line.trim() !== '') lines.push(line);
    cursor = page.headers.get('x-next-cursor') ?? undefined;
    onProgress(lines.length);
    if (lines.length >= MAX_RECORDS) throw new Error(`more than ${MAX_RECORDS} records: narrow the range`);
  } while (cursor);
  return lines;
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function AuditScreen() {
  const verify = useLoad(() => api<AuditVerificationSummary>('/v1/admin/audit/verify'), 'verify');
  const [from, setFrom] = useState(isoDay(-7));
  const [to, setTo] = useState(isoDay(1));
  const [progress, setProgress] = useState<string>();
  const [error, setError] = useState<string>();
  const [evidence, setEvidence] = useState<EvidenceSummary>();
  const v = verify.data;
  const byChain = new Map<string, number>();
  for (const b of v?.breaks ?? []) byChain.set(b.chain, (byChain.get(b.chain) ?? 0) + 1);
  const range = () => ({ from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` });

  async function exportRange() {
    setError(undefined);
    try {
      const r = range();
      const lines = await records(r.from, r.to, (n) => setProgress(`${n} records`));
      download(`stepgate-audit-${from}-${to}.jsonl`, 'application/x-ndjson', lines.join('\n') + '\n');
      setProgress(`exported ${lines.length} records`);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  async function report() {
    setError(undefined);
    try {
      const r = range();
      const lines = await records(r.from, r.to, (n) => setProgress(`${n} records`));
      const events = lines.map((l) => (JSON.parse(l) as { event: AuditEvent }).event);
      const verification = await api<AuditVerificationSummary>('/v1/admin/audit/verify');
      const summary = summarizeEvidence(r, events, {
        ok: verification.ok,
        chains: verification.chains,
        records: verification.records,
        breaks: verification.breaks,
        anchor: verification.anchor ?? null,
      });
      setEvidence(summary);
      setProgress(`report over ${lines.length} records`);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  return (
    <section>
      <h2>Audit</h2>
      <h3>Verification</h3>
      {verify.error && <p class="error">{verify.error}</p>}
      {v && (
        <div data-testid="verify">
          <p>
            <b class={v.ok ? 'good' : 'bad'} data-testid="verify-status">
              {v.ok ? 'verify ok' : 'verify FAILED'}
            </b>{' '}
            — {v.chains} chains, {v.records} records, {v.breaks.length} breaks
          </p>
          <p data-testid="anchor">
            {v.anchor
              ? `Checked against signed checkpoint ${v.anchor.checkpoint} of ${fmtTime(v.anchor.at)} (${v.anchor.chains} chains, ${v.anchor.records} records) stored at ${v.anchor.location}`
              : 'No signed checkpoint yet: the trail is verified but not anchored.'}
          </p>
          {byChain.size > 0 && (
            <table>
              <thead>
                <tr>
                  <th>chain</th>
                  <th>breaks</th>
                </tr>
              </thead>
              <tbody>
                {[...byChain.entries()].map(([chain, n]) => (
                  <tr key={chain} class="bad">
                    <td>{chain}</td>
                    <td>
                      {n}:{' '}
                      {v.breaks
                        .filter((b) => b.chain === chain)
                        .map((b) => `${b.kind}@${b.seq}`)
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <button onClick={() => verify.reload()}>Verify again</button>
        </div>
      )}
      <h3>Export and evidence</h3>
      <div class="actions">
        <label>
          From <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          To <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </label>
        <button data-testid="export" onClick={() => void exportRange()}>
          Export JSON lines
        </button>
        <button data-testid="evidence" onClick={() => void report()}>
          SOC 2 evidence report
        </button>
      </div>
      {progress && <p class="muted">{progress}</p>}
      {error && <p class="error">{error}</p>}
      {evidence && (
        <div data-testid="evidence-report">
          <p>
            {evidence.records} records from {fmtTime(evidence.from)} to {fmtTime(evidence.to)}:{' '}
            {evidence.decisions.total} decisions; {evidence.stepUps.challengesIssued} step-ups issued,{' '}
            {evidence.stepUps.passed} passed, {evidence.stepUps.failed} failed; {evidence.grants.issued} grants;{' '}
            {evidence.policyChanges.length} policy changes; trail {evidence.verification.ok ? 'verified' : 'BROKEN'} (
            {evidence.verification.anchor}).
          </p>
          <table>
            <thead>
              <tr>
                <th>when</th>
                <th>who</th>
                <th>what</th>
                <th>why</th>
              </tr>
            </thead>
            <tbody>
              {evidence.policyChanges.map((c, i) => (
                <tr key={i}>
                  <td>{fmtTime(c.at)}</td>
                  <td>{c.who}</td>
                  <td>
                    {c.kind}
                    {c.policyVersion !== undefined ? ` v${c.policyVersion}` : ''}
                  </td>
                  <td>{c.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <button
            onClick={() =>
              download(
                `stepgate-evidence-${from}-${to}.html`,
                'text/html',
                renderEvidenceHtml(evidence, new Date().toISOString()),
              )
            }
          >
            Download the report (HTML)
          </button>
        </div>
      )}
    </section>
  );
}
