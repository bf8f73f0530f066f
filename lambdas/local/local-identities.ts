/**
 * The local runtime's identities (DESIGN.md §2). Each default can be overridden by an environment variable so a
 * developer can mirror their own setup; these values exist only in the local runtime.
 */
export interface LocalUser {
  readonly username: string;
  readonly sub: string;
  readonly password: string;
  readonly groups: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

export interface LocalAppClient {
  readonly clientId: string;
  /** Absent for public clients (the web client users sign in with). */
  readonly clientSecret?: string;
  readonly allowedScopes: readonly string[];
}

export interface LocalIdentities {
  readonly userPoolId: string;
  readonly appClient: LocalAppClient;
  readonly webClient: LocalAppClient;
  readonly users: readonly LocalUser[];
}

export const DECIDE_SCOPE = 'stepgate/decide';
export const ADMIN_GROUP = 'risk-admins';
export const AUDITOR_GROUP = 'risk-auditors';

export function localIdentities(env: Readonly<Record<string, string | undefined>>): LocalIdentities {
  const user = (key: string, username: string, password: string, sub: string, groups: string[]): LocalUser => ({
    username: env[`STEPGATE_${key}_USER`] ?? username,
    password: env[`STEPGATE_${key}_PASSWORD`] ?? password,
    sub,
    groups,
    attributes: { email: env[`STEPGATE_${key}_USER`] ?? username, email_verified: 'true' },
  });
  return {
    userPoolId: env.STEPGATE_USER_POOL_ID ?? 'local_stepgate',
    appClient: {
      clientId: env.STEPGATE_APP_CLIENT_ID ?? 'local-app',
      clientSecret: env.STEPGATE_APP_CLIENT_SECRET ?? 'local-app-secret',
      allowedScopes: [DECIDE_SCOPE],
    },
    webClient: { clientId: env.STEPGATE_WEB_CLIENT_ID ?? 'local-web', allowedScopes: [] },
    users: [
      user('ADMIN', 'admin@example.com', 'Admin-Local-1!', '00000000-0000-4000-8000-00000000a001', [ADMIN_GROUP]),
      user('AUDITOR', 'auditor@example.com', 'Auditor-Local-1!', '00000000-0000-4000-8000-00000000a002', [
        AUDITOR_GROUP,
      ]),
      user('ALICE', 'alice@example.com', 'Alice-Local-1!', '00000000-0000-4000-8000-00000000a003', []),
    ],
  };
}
