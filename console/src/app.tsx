import { useEffect, useState } from 'preact/hooks';
import { onSessionChange, session, signOut, startSignIn, type Session } from './auth';
import { AuditScreen } from './screens/audit';
import { DecisionsScreen } from './screens/decisions';
import { OverviewScreen } from './screens/overview';
import { PolicyScreen } from './screens/policy';
import { UserScreen } from './screens/user';
import { WhatIfScreen } from './screens/what-if';
import { DraftProvider } from './draft';

const ADMIN = 'risk-admins';
const AUDITOR = 'risk-auditors';

export interface Role {
  readonly canChange: boolean;
  readonly username: string;
}

const SCREENS = [
  ['overview', 'Overview'],
  ['decisions', 'Decisions'],
  ['user', 'User'],
  ['policy', 'Policy'],
  ['what-if', 'What-if'],
  ['audit', 'Audit'],
] as const;

function currentRoute(): { screen: string; arg?: string } {
  const [screen = 'overview', arg] = location.hash.replace(/^#\/?/, '').split('/');
  return { screen: screen || 'overview', ...(arg ? { arg: decodeURIComponent(arg) } : {}) };
}

export function navigate(screen: string, arg?: string): void {
  location.hash = `#/${screen}${arg !== undefined ? `/${encodeURIComponent(arg)}` : ''}`;
}

export function App({ signInProblem }: { signInProblem?: string }) {
  const [current, setCurrent] = useState<Session | undefined>(session());
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => onSessionChange(setCurrent), []);
  useEffect(() => {
    const listener = () => setRoute(currentRoute());
    addEventListener('hashchange', listener);
    return () => removeEventListener('hashchange', listener);
  }, []);

  if (!current) {
    return (
      <main class="signin">
        <h1>stepgate security console</h1>
        {signInProblem && (
          <p class="error" role="alert" data-testid="signin-error">
            {signInProblem}
          </p>
        )}
        <p>For members of risk-admins (tune) and risk-auditors (read).</p>
        <button data-testid="sign-in" onClick={() => void startSignIn()}>
          Sign in
        </button>
      </main>
    );
  }
  const canChange = current.groups.includes(ADMIN);
  const canRead = canChange || current.groups.includes(AUDITOR);
  if (!canRead) {
    // The API refuses them too; the console shows nothing and calls nothing.
    return (
      <main class="signin">
        <p class="error" role="alert" data-testid="no-access">
          {current.username} is not a member of {ADMIN} or {AUDITOR}: the console shows nothing.
        </p>
        <button onClick={() => void signOut()}>Sign out</button>
      </main>
    );
  }
  const role: Role = { canChange, username: current.username };
  return (
    <DraftProvider>
      <header>
        <strong>stepgate</strong>
        <nav>
          {SCREENS.map(([id, label]) => (
            <a key={id} href={`#/${id}`} class={route.screen === id ? 'active' : ''} data-testid={`nav-${id}`}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {current.username} · {canChange ? ADMIN : AUDITOR}
        </span>
        <button class="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {route.screen === 'overview' && <OverviewScreen />}
        {route.screen === 'decisions' && <DecisionsScreen role={role} />}
        {route.screen === 'user' && <UserScreen userId={route.arg} />}
        {route.screen === 'policy' && <PolicyScreen role={role} />}
        {route.screen === 'what-if' && <WhatIfScreen role={role} />}
        {route.screen === 'audit' && <AuditScreen />}
      </main>
    </DraftProvider>
  );
}
