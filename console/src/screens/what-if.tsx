import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Role } from '../app';
import { Chart } from '../components/chart';
import { useDraft } from '../draft';
import { RANGES, fmtTime, useLoad, windowOf } from '../hooks';
import type {
  PolicyResponse,
  ReplayChunkResponse,
  ShadowReportResponse,
  ShadowStatusResponse,
  SimulationReport,
} from '../types';

const DECISIONS = ['allow', 'step_up', 'deny'] as const;

function counts(report: SimulationReport) {
  const before = { allow: 0, step_up: 0, deny: 0 };
  const after = { allow: 0, step_up: 0, deny: 0 };
  for (const b of DECISIONS) {
    for (const a of DECISIONS) {
      before[b] += report.transitions[b][a];
      after[a] += report.transitions[b][a];
    }
  }
  return { before, after };
}

function reasonCounts(report: SimulationReport) {
  const tally = new Map<string, { before: number; after: number }>();
  for (const e of report.changedEvents) {
    for (const code of e.before.reasons ?? [])
      tally.set(code, { ...(tally.get(code) ?? { before: 0, after: 0 }), before: (tally.get(code)?.before ?? 0) + 1 });
    for (const code of e.after.reasons ?? [])
      tally.set(code, { ...(tally.get(code) ?? { before: 0, after: 0 }), after: (tally.get(code)?.after ?? 0) + 1 });
  }
  return [...tally.entries()].sort((x, y) => y[1].before + y[1].after - (x[1].before + x[1].after)).slice(0, 12);
}

export function WhatIfScreen({ role }: { role: Role }) {
  const shared = useDraft();
  const active = useLoad(() => api<PolicyResponse>('/v1/admin/policy'), 'active');
  const [hours, setHours] = useState(24 * 7);
  const [report, setReport] = useState<SimulationReport>();
  const [complete, setComplete] = useState(true);
  const [error, setError] = useState<string>();
  const [running, setRunning] = useState(false);
  const a = active.data;
  const draft = a && shared.draft && shared.baseVersion === a.version ? shared.draft : undefined;

  async function backtest() {
    if (!a) return;
    setError(undefined);
    setRunning(true);
    try {
      const answer = await api<ReplayChunkResponse>('/v1/admin/policy/simulate', {
        method: 'POST',
        body: {
          ...(draft ? { policy: { ...draft, version: a.version + 1 } } : {}),
          ...windowOf(hours),
          maxChangedEvents: 500,
        },
      });
      setReport(answer.report);
      setComplete(answer.complete);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  }

  const c = report ? counts(report) : undefined;
  const actions = report ? Object.keys(report.byAction).sort() : [];
  const reasons = report ? reasonCounts(report) : [];
  return (
    <section>
      <h2>What-if</h2>
      <p>
        {draft
          ? `Backtests the draft (edited on the Policy screen) against the decisions recorded under v${a?.version ?? '?'} and earlier.`
          : 'No draft: backtests the active policy against what was recorded. Edit a draft on the Policy screen first.'}
      </p>
      <label>
        History{' '}
        <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
          {RANGES.map((r) => (
            <option key={r.hours} value={r.hours}>
              {r.label}
            </option>
          ))}
        </select>
      </label>{' '}
      <button data-testid="run-backtest" disabled={running || !a} onClick={() => void backtest()}>
        {running ? 'Replaying…' : 'Run backtest'}
      </button>
      {error && <p class="error">{error}</p>}
      {report && c && (
        <div data-testid="backtest">
          <p>
            <b data-testid="changed-count">{report.changed}</b> of {report.events.compared} decisions change (
            {report.events.skipped.notReplayable + report.events.skipped.unknownAction} not replayable); friction{' '}
            {(100 * report.friction.beforeRate).toFixed(1)}% → {(100 * report.friction.afterRate).toFixed(1)}%
            {complete ? '' : ' — first chunk of the window only'}
          </p>
          <Chart
            title="Decisions before / after"
            testId="chart-before-after"
            x={[0, 1, 2]}
            categories={[...DECISIONS]}
            series={[
              { label: 'before', values: DECISIONS.map((d) => c.before[d]), color: '#7f8c8d' },
              { label: 'after', values: DECISIONS.map((d) => c.after[d]), color: '#2980b9' },
            ]}
          />
          {actions.length > 0 && (
            <Chart
              title="Friction (step_up + deny) per action, before / after"
              testId="chart-per-action"
              x={actions.map((_, i) => i)}
              categories={actions}
              series={[
                { label: 'before', values: actions.map((n) => report.byAction[n]!.friction.before), color: '#7f8c8d' },
                { label: 'after', values: actions.map((n) => report.byAction[n]!.friction.after), color: '#2980b9' },
              ]}
            />
          )}
          {reasons.length > 0 && (
            <Chart
              title="Reasons of the changed decisions, before / after"
              testId="chart-per-reason"
              x={reasons.map((_, i) => i)}
              categories={reasons.map(([code]) => code)}
              series={[
                { label: 'before', values: reasons.map(([, v]) => v.before), color: '#7f8c8d' },
                { label: 'after', values: reasons.map(([, v]) => v.after), color: '#2980b9' },
              ]}
            />
          )}
          <h3>Decisions that change</h3>
          <table data-testid="changed-list">
            <thead>
              <tr>
                <th>time</th>
                <th>user</th>
                <th>action</th>
                <th>before</th>
                <th>after</th>
              </tr>
            </thead>
            <tbody>
              {report.changedEvents.map((e) => (
                <tr key={e.decisionId}>
                  <td>{fmtTime(e.at)}</td>
                  <td>{e.userId}</td>
                  <td>{e.action}</td>
                  <td>
                    <span class={`pill ${e.before.decision}`}>{e.before.decision}</span> {e.before.score}
                  </td>
                  <td>
                    <span class={`pill ${e.after.decision}`}>{e.after.decision}</span> {e.after.score}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {report.changedEventsTruncated && (
            <p class="muted">Only the first {report.changedEvents.length} are listed.</p>
          )}
        </div>
      )}
      <Shadow role={role} draft={draft} activeVersion={a?.version} />
    </section>
  );
}

function Shadow({
  role,
  draft,
  activeVersion,
}: {
  role: Role;
  draft?: Record<string, unknown>;
  activeVersion?: number;
}) {
  const status = useLoad(() => api<ShadowStatusResponse>('/v1/admin/shadow'), 'shadow');
  const [reason, setReason] = useState('');
  const [report, setReport] = useState<ShadowReportResponse>();
  const [error, setError] = useState<string>();
  const s = status.data;
  async function act(path: string, body: unknown) {
    setError(undefined);
    try {
      await api(path, { method: 'POST', body });
      status.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  async function read() {
    setError(undefined);
    try {
      setReport(await api<ShadowReportResponse>('/v1/admin/shadow/report'));
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <div class="shadow">
      <h3>Shadow run</h3>
      <p data-testid="shadow-run">
        {!s
          ? '…'
          : s.status === 'none'
            ? 'No shadow run was ever started.'
            : `${s.status}: candidate v${s.candidateVersion}, started by ${s.startedBy} at ${fmtTime(s.startedAt)} (“${s.reason}”)${s.stoppedAt ? `, stopped by ${s.stoppedBy} at ${fmtTime(s.stoppedAt)}` : ''}`}
      </p>
      {role.canChange && (
        <div class="actions">
          <input placeholder="reason (required)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          {s?.status !== 'running' ? (
            <button
              data-testid="shadow-start"
              disabled={!draft || reason.trim() === '' || activeVersion === undefined}
              onClick={() =>
                void act('/v1/admin/shadow', { policy: { ...draft, version: (activeVersion ?? 0) + 1 }, reason })
              }
            >
              Start shadow run of the draft
            </button>
          ) : (
            <button
              data-testid="shadow-stop"
              disabled={reason.trim() === ''}
              onClick={() => void act('/v1/admin/shadow/stop', { reason })}
            >
              Stop shadow run
            </button>
          )}
        </div>
      )}
      {s && s.status !== 'none' && (
        <button data-testid="shadow-report" onClick={() => void read()}>
          Read report
        </button>
      )}
      {report && (
        <p data-testid="shadow-report-text">
          {report.report.events.compared} decisions scored by both; {report.report.changed} disagree; friction{' '}
          {(100 * report.report.friction.beforeRate).toFixed(1)}% live →{' '}
          {(100 * report.report.friction.afterRate).toFixed(1)}% shadow
          {report.complete ? '' : ' (first chunk)'}
        </p>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
