import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { Chart } from '../components/chart';
import { RANGES, fmtTime, useLoad, windowOf } from '../hooks';
import type { AuditVerificationSummary, OverviewResponse, ShadowStatusResponse } from '../types';
import { mergeOverview, type OverviewTotals } from '../../../lambdas/application/console-reads/console-views';

/** At most this many chunks per view (each counts up to 20,000 audit records on the server). */
const MAX_CHUNKS = 10;

async function overview(hours: number): Promise<OverviewTotals & { complete: boolean }> {
  const w = windowOf(hours);
  let answer = await api<OverviewResponse>(`/v1/admin/overview${query(w)}`);
  let totals = answer.totals;
  for (let i = 1; i < MAX_CHUNKS && answer.cursor; i++) {
    answer = await api<OverviewResponse>(`/v1/admin/overview${query({ cursor: answer.cursor })}`);
    totals = mergeOverview(totals, answer.totals);
  }
  return { ...totals, complete: answer.complete };
}

export function OverviewScreen() {
  const [hours, setHours] = useState(24);
  const data = useLoad(() => overview(hours), String(hours));
  const shadow = useLoad(() => api<ShadowStatusResponse>('/v1/admin/shadow'), 'shadow');
  const verify = useLoad(() => api<AuditVerificationSummary>('/v1/admin/audit/verify'), 'verify');
  const t = data.data;
  const x = t?.hours.map((h) => Date.parse(h.hour) / 1000) ?? [];
  const sum = (f: (h: OverviewTotals['hours'][number]) => number) => t?.hours.reduce((s, h) => s + f(h), 0) ?? 0;
  const bursts = t?.hours.filter((h) => h.stuffing > 0) ?? [];
  return (
    <section>
      <h2>Overview</h2>
      <label>
        Time range{' '}
        <select data-testid="range" value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
          {RANGES.map((r) => (
            <option key={r.hours} value={r.hours}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {data.error && <p class="error">{data.error}</p>}
      {t && (
        <>
          <div class="cards">
            <div class="card" data-testid="decisions-total">
              <b>{t.decisions}</b> decisions
            </div>
            <div class="card">
              <b>{sum((h) => h.challengesIssued)}</b> step-ups issued
            </div>
            <div class="card">
              <b>{sum((h) => h.stepUpsPassed)}</b> passed · <b>{sum((h) => h.stepUpsFailed)}</b> failed
            </div>
            <div class="card" data-testid="shadow-status">
              shadow run: <b>{shadow.data ? shadow.data.status : '…'}</b>
              {shadow.data && 'candidateVersion' in shadow.data ? ` (v${shadow.data.candidateVersion})` : ''}
            </div>
            <div class="card" data-testid="audit-status">
              audit trail:{' '}
              <b class={verify.data && !verify.data.ok ? 'bad' : 'good'}>
                {verify.data ? (verify.data.ok ? 'verified' : `${verify.data.breaks.length} breaks`) : '…'}
              </b>
            </div>
          </div>
          {!t.complete && <p class="muted">Counted the first {t.records} audit records of the range only.</p>}
          <Chart
            title="Decisions per hour"
            testId="chart-decisions"
            x={x}
            series={[
              { label: 'allow', values: t.hours.map((h) => h.allow), color: '#27ae60' },
              { label: 'step_up', values: t.hours.map((h) => h.step_up), color: '#f39c12' },
              { label: 'deny', values: t.hours.map((h) => h.deny), color: '#c0392b' },
            ]}
          />
          <Chart
            title="Step-ups per hour"
            x={x}
            series={[
              { label: 'issued', values: t.hours.map((h) => h.challengesIssued), color: '#2980b9' },
              { label: 'passed', values: t.hours.map((h) => h.stepUpsPassed), color: '#27ae60' },
              { label: 'failed', values: t.hours.map((h) => h.stepUpsFailed), color: '#c0392b' },
            ]}
          />
          <div class="cols">
            <div>
              <h3>Top reasons</h3>
              <table data-testid="top-reasons">
                <tbody>
                  {t.reasons.map((r) => (
                    <tr key={r.code}>
                      <td>
                        <code>{r.code}</code>
                      </td>
                      <td class="num">{r.count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div>
              <h3>Credential-stuffing bursts</h3>
              {bursts.length === 0 ? (
                <p class="muted">No decision carried velocity.ip_many_users in this range.</p>
              ) : (
                <table>
                  <tbody>
                    {bursts.map((h) => (
                      <tr key={h.hour}>
                        <td>{fmtTime(h.hour)}</td>
                        <td class="num">{h.stuffing} decisions</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
