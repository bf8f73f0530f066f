import { useState } from 'preact/hooks';
import { api } from '../api';
import { navigate } from '../app';
import { fmtTime, useLoad } from '../hooks';
import type { UserEventsResponse, UserProfileResponse } from '../types';

export function UserScreen({ userId }: { userId?: string }) {
  const [input, setInput] = useState(userId ?? '');
  return (
    <section>
      <h2>User</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (input.trim()) navigate('user', input.trim());
        }}
      >
        <label>
          User id <input data-testid="user-id" value={input} onInput={(e) => setInput(e.currentTarget.value)} />
        </label>
        <button type="submit">Open</button>
      </form>
      {userId && <UserDetail key={userId} userId={userId} />}
    </section>
  );
}

function UserDetail({ userId }: { userId: string }) {
  const id = encodeURIComponent(userId);
  const profile = useLoad(() => api<UserProfileResponse>(`/v1/admin/users/${id}/profile`), userId);
  const events = useLoad(() => api<UserEventsResponse>(`/v1/admin/users/${id}/events?limit=50`), userId);
  const p = profile.data;
  return (
    <div class="cols">
      <div>
        <h3>Trusted contexts</h3>
        {profile.error && <p class="error">{profile.error}</p>}
        {p && (
          <>
            <p class="muted">
              {p.trustedEvents} trusted events; {p.historyScanned} decisions scanned
              {p.historyComplete ? ' (the whole retained history)' : ' (the newest only)'}
            </p>
            <table data-testid="trusted">
              <thead>
                <tr>
                  <th>kind</th>
                  <th>value</th>
                  <th class="num">seen</th>
                  <th>trusted since</th>
                  <th>why</th>
                </tr>
              </thead>
              <tbody>
                {p.trusted.map((c) => (
                  <tr key={`${c.kind}:${c.value}`}>
                    <td>{c.kind}</td>
                    <td>
                      <code>{c.value}</code>
                    </td>
                    <td class="num">{c.count}</td>
                    <td>{c.since ? fmtTime(c.since.at) : 'before the retained history'}</td>
                    <td>{c.since?.why ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {p.unverified.length > 0 && (
              <>
                <h4>Seen without proof (never lowers risk)</h4>
                <ul>
                  {p.unverified.map((c) => (
                    <li key={`${c.kind}:${c.value}`}>
                      {c.kind} <code>{c.value}</code> ×{c.count}, last {fmtTime(c.lastSeen)}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </div>
      <div>
        <h3>Timeline</h3>
        {events.error && <p class="error">{events.error}</p>}
        <ol class="timeline" data-testid="timeline">
          {events.data?.events.map((e) => (
            <li key={e.decisionId}>
              <span class="muted">{fmtTime(e.at)}</span> {e.action} →{' '}
              <span class={`pill ${e.decision}`}>{e.decision}</span> ({e.score}){' '}
              <span class="muted">{e.reasons.map((r) => r.code).join(', ')}</span>
              {e.feedback ? <b> · {e.feedback.label}</b> : null}
            </li>
          ))}
        </ol>
      </div>
    </div>
  );
}
