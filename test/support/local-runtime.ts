import { randomUUID } from 'node:crypto';
import { startLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { findFreePort } from '../../lambdas/local/dynamodb-local';
import { testDynamoEndpoint } from './dynamodb';

/** The real local runtime (gateway, issuer, handlers) on a free port, on the run's DynamoDB Local, own tables. */
export async function startTestRuntime(
  options: { now?: () => number; env?: Record<string, string> } = {},
): Promise<LocalRuntime> {
  const port = await findFreePort();
  return startLocalRuntime({
    port,
    dynamoPort: 0,
    dynamoEndpoint: testDynamoEndpoint(),
    tablePrefix: `t-rt-${randomUUID().slice(0, 8)}`,
    env: options.env ?? {},
    ...(options.now ? { now: options.now } : {}),
  });
}

export async function appToken(baseUrl: string, scope?: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const res = await fetch(`${baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('local-app:local-app-secret').toString('base64')}`,
    },
    body: form,
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export interface UserTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken: string;
}

/**
 * A user's tokens through the local Cognito's wire protocol, on the local-only `local-script` client (plain
 * USER_PASSWORD_AUTH, no sign-in ceremony): for tests that need real tokens, not for testing sign-in itself.
 */
export async function userTokens(baseUrl: string, username: string, password: string): Promise<UserTokens> {
  const res = await fetch(baseUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: 'local-script',
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = (await res.json()) as {
    AuthenticationResult?: { AccessToken: string; IdToken: string; RefreshToken: string };
    __type?: string;
  };
  if (res.status !== 200 || !body.AuthenticationResult) {
    throw new Error(`local Cognito answered ${res.status} ${body.__type ?? ''}`);
  }
  const { AccessToken, IdToken, RefreshToken } = body.AuthenticationResult;
  return { accessToken: AccessToken, idToken: IdToken, refreshToken: RefreshToken };
}

export async function postJson(
  url: string,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
