import { useMemo, useState } from 'preact/hooks';
import { ApiError, api, raw } from '../api';
import type { Role } from '../app';
import { navigate } from '../app';
import { DiffView } from '../components/diff-view';
import { PolicyEditor } from '../components/policy-editor';
import { useDraft } from '../draft';
import { fmtTime, useLoad } from '../hooks';
import type { PendingResponse, PolicyResponse, PutPolicyResponse, VersionsResponse } from '../types';
import { parsePolicy } from '../../../lambdas/core/policy/policy-schema';
import { diffPolicies } from '../../../lambdas/core/policy/policy-diff';

export function PolicyScreen({ role }: { role: Role }) {
  const active = useLoad(() => api<PolicyResponse>('/v1/admin/policy'), 'active');
  const pending = useLoad(() => api<PendingResponse>('/v1/admin/policy/pending'), 'pending');
  const versions = useLoad(() => api<VersionsResponse>('/v1/admin/policy/versions?limit=20'), 'versions');
  const reloadAll = () => {
    active.reload();
    pending.reload();
    versions.reload();
  };
  const a = active.data;
  return (
    <section>
      <h2>Policy</h2>
      {active.error && <p class="error">{active.error}</p>}
      {a && (
        <p data-testid="active-version">
          Active version <b>{a.version}</b>, by {a.updatedBy} at {fmtTime(a.updatedAt)}
          {a.reason ? ` — ${a.reason}` : ''}
        </p>
      )}
      {a && role.canChange && <Draft active={a} onSubmitted={reloadAll} />}
      {a && !role.canChange && (
        <details>
          <summary>Active policy document</summary>
          <pre data-testid="policy-json">{JSON.stringify(a.policy, null, 2)}</pre>
        </details>
      )}
      <h3>Approval queue</h3>
      {pending.error && <p class="error">{pending.error}</p>}
      {pending.data?.pending.length === 0 && <p class="muted">Nothing awaits approval.</p>}
      {pending.data?.pending.map((p) => (
        <div class="pending" key={p.version} data-testid={`pending-${p.version}`}>
          <p>
            <b>v{p.version}</b> (on v{p.baseVersion}) proposed by {p.proposedBy} at {fmtTime(p.proposedAt)}: “{p.reason}
            ”{p.stale && <span class="bad"> — stale: the active policy moved; it can only be rejected</span>}
          </p>
          {p.changes && (
            <ul>
              {p.changes.map((c) => (
                <li key={c.path}>
                  <code>{c.path}</code>: {JSON.stringify(c.before)} → {JSON.stringify(c.after)}
                </li>
              ))}
            </ul>
          )}
          {p.weakening && (
            <p class="bad">
              Weakens protection ({p.weakening.length}): {p.weakening.map((w) => w.path).join(', ')}
            </p>
          )}
          {p.backtest && (
            <p data-testid={`pending-backtest-${p.version}`}>
              Backtest of the last 7 days: {p.backtest.compared} decisions replayed, {p.backtest.towardAllow} would move
              toward allow{p.backtest.truncated ? ' (first decisions only)' : ''}.
            </p>
          )}
          {role.canChange && <Review version={p.version} onDone={reloadAll} />}
        </div>
      ))}
      <h3>Version history</h3>
      <table data-testid="versions">
        <thead>
          <tr>
            <th>version</th>
            <th>when</th>
            <th>who</th>
            <th>approved by</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {versions.data?.versions.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{fmtTime(v.updatedAt)}</td>
              <td>{v.updatedBy}</td>
              <td>{v.approvedBy ?? ''}</td>
              <td>{v.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Review({ version, onDone }: { version: number; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  async function review(verb: 'approve' | 'reject') {
    setError(undefined);
    try {
      await api(`/v1/admin/policy/pending/${version}/${verb}`, { method: 'POST', body: note ? { note } : {} });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  }
  return (
    <div class="actions">
      <input placeholder="note (optional)" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      <button data-testid={`approve-${version}`} onClick={() => void review('approve')}>
        Approve
      </button>
      <button data-testid={`reject-${version}`} onClick={() => void review('reject')}>
        Reject
      </button>
      {error && <span class="error">{error}</span>}
    </div>
  );
}

function Draft({ active, onSubmitted }: { active: PolicyResponse; onSubmitted: () => void }) {
  const shared = useDraft();
  const draft =
    shared.draft && shared.baseVersion === active.version
      ? shared.draft
      : (active.policy as unknown as Record<string, unknown>);
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<string>();
  const parsed = useMemo(() => parsePolicy({ ...draft, version: active.version + 1 }), [draft, active.version]);
  const errors = useMemo(
    () => new Map(parsed.ok ? [] : parsed.issues.map((i) => [i.path, i.message] as const)),
    [parsed],
  );
  const changes = useMemo(
    () => (parsed.ok ? diffPolicies(active.policy, parsed.policy).filter((c) => c.path !== 'version') : []),
    [parsed, active.policy],
  );

  async function submit() {
    setError(undefined);
    setResult(undefined);
    try {
      const answer = await raw('/v1/admin/policy', {
        method: 'PUT',
        headers: { 'if-match': `"${active.version}"` },
        body: { policy: { ...draft, version: active.version + 1 }, reason },
      });
      const body = JSON.parse(answer.text) as PutPolicyResponse;
      setResult(
        body.status === 'pending_approval'
          ? `v${body.version} awaits a second admin (${(body.approvalRequiredBecause ?? []).join(', ')})`
          : body.unchanged
            ? 'unchanged'
            : `v${body.version} is active (in force within ${body.effectiveWithinSeconds ?? 5} s)`,
      );
      shared.setDraft(undefined);
      onSubmitted();
    } catch (e) {
      setError(e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : (e as Error).message);
    }
  }

  return (
    <div class="draft">
      <h3>Draft</h3>
      <PolicyEditor value={draft} onChange={(next) => shared.setDraft(next, active.version)} errors={errors} />
      <h3>Diff against v{active.version}</h3>
      <p data-testid="change-count">{parsed.ok ? `${changes.length} changes` : `${errors.size} problems`}</p>
      <DiffView before={active.policy} after={{ ...draft, version: active.policy.version }} />
      <div class="actions">
        <input
          data-testid="reason"
          placeholder="reason (required)"
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <button
          data-testid="submit-policy"
          disabled={!parsed.ok || changes.length === 0 || reason.trim() === ''}
          onClick={() => void submit()}
        >
          Submit (If-Match: {active.version})
        </button>
        <button
          disabled={!parsed.ok || changes.length === 0}
          onClick={() => navigate('what-if')}
          data-testid="to-what-if"
        >
          Backtest in What-if
        </button>
        <button onClick={() => shared.setDraft(undefined)}>Discard</button>
      </div>
      {result && (
        <p class="good" data-testid="submit-result">
          {result}
        </p>
      )}
      {error && (
        <p class="error" data-testid="submit-error">
          {error}
        </p>
      )}
    </div>
  );
}
