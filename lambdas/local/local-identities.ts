/**
 * The local runtime's identities (docs/local-runtime.md lists them). Each default can be overridden by an environment variable so a
 * developer can mirror their own setup; these values exist only in the local runtime.
 */
export interface LocalUser {
  readonly username: string;
  readonly sub: string;
  readonly password: string;
  readonly groups: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** Cognito's InitiateAuth flows, as an app client's ExplicitAuthFlows enable them (without the ALLOW_ prefix). */
export type UserAuthFlow = 'CUSTOM_AUTH' | 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH';

export interface LocalAppClient {
  readonly clientId: string;
  /** Absent for public clients (the web client users sign in with). */
  readonly clientSecret?: string;
  readonly allowedScopes: readonly string[];
  /** The user sign-in flows the client allows; none for the app client (client credentials only). */
  readonly authFlows: readonly UserAuthFlow[];
}

export interface LocalIdentities {
  readonly userPoolId: string;
  readonly appClient: LocalAppClient;
  /** Like the deployed web client: only flows that pass through the sign-in decision (custom auth), and refresh. */
  readonly webClient: LocalAppClient;
  /**
   * Local only, never deployed: plain USER_PASSWORD_AUTH for scripts and tests that need a user's tokens without
   * running the sign-in ceremony. The local API and the local triggers accept its tokens as the web client's.
   */
  readonly scriptClient: LocalAppClient;
  readonly users: readonly LocalUser[];
}

import { ADMIN_GROUP, AUDITOR_GROUP, DECIDE_SCOPE } from '../contracts/identity';

export { ADMIN_GROUP, AUDITOR_GROUP, DECIDE_SCOPE };

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
      authFlows: [],
    },
    webClient: {
      clientId: env.STEPGATE_WEB_CLIENT_ID ?? 'local-web',
      allowedScopes: [],
      authFlows: ['CUSTOM_AUTH', 'REFRESH_TOKEN_AUTH'],
    },
    scriptClient: {
      clientId: env.STEPGATE_SCRIPT_CLIENT_ID ?? 'local-script',
      allowedScopes: [],
      authFlows: ['USER_PASSWORD_AUTH', 'REFRESH_TOKEN_AUTH'],
    },
    users: [
      user('ADMIN', 'admin@example.com', 'Admin-Local-1!', '00000000-0000-4000-8000-00000000a001', [ADMIN_GROUP]),
      user('AUDITOR', 'auditor@example.com', 'Auditor-Local-1!', '00000000-0000-4000-8000-00000000a002', [
        AUDITOR_GROUP,
      ]),
      user('ALICE', 'alice@example.com', 'Alice-Local-1!', '00000000-0000-4000-8000-00000000a003', []),
    ],
  };
}
