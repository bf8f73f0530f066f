import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import type { Role } from '../app';
import { navigate } from '../app';
import { PointsBar } from '../components/points-bar';
import { fmtTime } from '../hooks';
import type { DecisionStreamResponse, EventView, FeedbackResponse } from '../types';

interface Filter {
  userId: string;
  action: string;
  decision: string;
  reason: string;
  ip: string;
}

const EMPTY: Filter = { userId: '', action: '', decision: '', reason: '', ip: '' };

export function DecisionsScreen({ role }: { role: Role }) {
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const [rows, setRows] = useState<EventView[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();
  const [loaded, setLoaded] = useState(false);

  async function load(next?: string) {
    setError(undefined);
    try {
      const params = next ? { cursor: next } : { ...filter, from: new Date(Date.now() - 7 * 86_400_000).toISOString() };
      const page = await api<DecisionStreamResponse>(`/v1/admin/decisions${query({ ...params, limit: 50 })}`);
      setRows((r) => (next ? [...r, ...page.decisions] : [...page.decisions]));
      setCursor(page.cursor);
      setLoaded(true);
    } catch (e) {
      setError((e as Error).message);
    }
  }

  useEffect(() => {
    void load();
  }, []);
  const field = (name: keyof Filter, label: string) => (
    <label>
      {label}
      <input
        data-testid={`filter-${name}`}
        value={filter[name]}
        onInput={(e) => setFilter({ ...filter, [name]: e.currentTarget.value })}
      />
    </label>
  );
  return (
    <section>
      <h2>Decision stream</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setOpen(undefined);
          void load();
        }}
      >
        {field('userId', 'User')}
        {field('action', 'Action')}
        <label>
          Decision
          <select
            data-testid="filter-decision"
            value={filter.decision}
            onChange={(e) => setFilter({ ...filter, decision: e.currentTarget.value })}
          >
            <option value="">any</option>
            <option value="allow">allow</option>
            <option value="step_up">step_up</option>
            <option value="deny">deny</option>
          </select>
        </label>
        {field('reason', 'Reason')}
        {field('ip', 'IP')}
        <button type="submit" data-testid="apply-filter">
          Filter
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      <table class="stream" data-testid="stream">
        <thead>
          <tr>
            <th>time</th>
            <th>user</th>
            <th>action</th>
            <th>decision</th>
            <th class="num">score</th>
            <th>reasons</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <>
              <tr
                key={e.decisionId}
                class="row"
                data-testid={`decision-${e.decisionId}`}
                onClick={() => setOpen(open === e.decisionId ? undefined : e.decisionId)}
              >
                <td>{fmtTime(e.at)}</td>
                <td>{e.userId}</td>
                <td>{e.action}</td>
                <td>
                  <span class={`pill ${e.decision}`}>{e.decision}</span>
                </td>
                <td class="num">{e.score}</td>
                <td class="muted">{e.reasons.map((r) => r.code).join(', ')}</td>
              </tr>
              {open === e.decisionId && (
                <tr key={`${e.decisionId}-detail`}>
                  <td colSpan={6}>
                    <DecisionDetail event={e} role={role} />
                  </td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
      {loaded && rows.length === 0 && <p class="muted">No decision matches.</p>}
      {cursor && (
        <button data-testid="more" onClick={() => void load(cursor)}>
          Older decisions
        </button>
      )}
    </section>
  );
}

function DecisionDetail({ event, role }: { event: EventView; role: Role }) {
  const [feedback, setFeedback] = useState(event.feedback);
  const [error, setError] = useState<string>();
  async function label(value: 'fraud' | 'legit' | 'none') {
    setError(undefined);
    try {
      const answer = await api<FeedbackResponse>(`/v1/admin/events/${encodeURIComponent(event.decisionId)}/feedback`, {
        method: 'POST',
        body: { label: value },
      });
      setFeedback(
        answer.label === 'none' ? undefined : { label: answer.label, by: answer.by ?? '', at: answer.at ?? '' },
      );
    } catch (e) {
      setError((e as Error).message);
    }
  }
  const stepUp = event.reasons.some((r) => r.code === 'step_up.satisfied');
  return (
    <div class="detail" data-testid="decision-detail">
      <PointsBar reasons={event.reasons} score={event.score} />
      <dl>
        <dt>decision id</dt>
        <dd>
          <code>{event.decisionId}</code>
        </dd>
        <dt>policy version</dt>
        <dd data-testid="detail-policy-version">{event.policyVersion}</dd>
        <dt>step-up</dt>
        <dd>{event.decision === 'step_up' ? 'asked for a step-up' : stepUp ? 'redeemed a passed step-up' : 'none'}</dd>
        <dt>outcome reported</dt>
        <dd>{event.outcome ?? 'none yet'}</dd>
        <dt>context</dt>
        <dd>
          {event.context.ip} · {[event.context.city, event.context.country].filter(Boolean).join(', ')} ·{' '}
          {event.context.browser ?? ''} {event.context.os ?? ''} · device {event.context.deviceId ?? 'none'}
        </dd>
        <dt>feedback</dt>
        <dd data-testid="feedback">
          {feedback ? `${feedback.label} by ${feedback.by} at ${fmtTime(feedback.at)}` : 'unlabelled'}
        </dd>
      </dl>
      <p>
        <a href={`#/user/${encodeURIComponent(event.userId)}`} onClick={() => navigate('user', event.userId)}>
          Open {event.userId}'s timeline
        </a>
      </p>
      {role.canChange && (
        <div class="actions">
          <button data-testid="label-fraud" onClick={() => void label('fraud')}>
            Fraud
          </button>
          <button data-testid="label-legit" onClick={() => void label('legit')}>
            Legit
          </button>
          {feedback && (
            <button data-testid="label-clear" onClick={() => void label('none')}>
              Clear label
            </button>
          )}
        </div>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
