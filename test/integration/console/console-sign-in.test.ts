import { createHash, randomBytes } from 'node:crypto';
import type { LocalRuntime } from '../../../lambdas/local/runtime';
import { startTestRuntime } from '../../support/local-runtime';

/**
 * The console's managed login on the local user pool: authorization code + PKCE (S256), refresh, revoke, and what
 * console tokens open (staff routes only).
 */
describe('console sign-in (local managed login)', () => {
  let runtime: LocalRuntime;
  let redirectUri: string;
  const clientId = 'local-console';

  beforeAll(async () => {
    runtime = await startTestRuntime();
    redirectUri = `${runtime.url}/console/`;
  });
  afterAll(() => runtime?.stop());

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  function authorizeUrl(params: Record<string, string | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
    return `${runtime.url}/oauth2/authorize?${q.toString()}`;
  }

  /** Opens the login page and submits the form; returns the redirect's Location. */
  async function signIn(username: string, password: string, challenge: string, state = 'st-123'): Promise<URL> {
    const page = await fetch(
      authorizeUrl({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        state,
        code_challenge_method: 'S256',
        code_challenge: challenge,
        scope: 'openid email',
      }),
      { redirect: 'manual' },
    );
    expect(page.status).toBe(200);
    const html = await page.text();
    const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
    expect(request).toBeDefined();
    const answer = await fetch(`${runtime.url}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request: request!, username, password }).toString(),
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return new URL(answer.headers.get('location')!);
  }

  async function exchange(form: Record<string, string>) {
    const res = await fetch(`${runtime.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  const codeForm = (code: string, verifier: string, uri = redirectUri) => ({
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: uri,
    code_verifier: verifier,
  });

  it('redirects back with the code and the state echoed; the code gives tokens once, with the right verifier only', async () => {
    const { verifier, challenge } = pkce();
    const back = await signIn('admin@example.com', 'Admin-Local-1!', challenge, 'echo-me');
    expect(`${back.origin}${back.pathname}`).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('echo-me');
    const code = back.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const tokens = await exchange(codeForm(code, verifier));
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    // Single use: the same code again is refused.
    expect(await exchange(codeForm(code, verifier))).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a code with a verifier that does not hash to the challenge, and the code is spent by the try', async () => {
    const { verifier, challenge } = pkce();
    const code = (await signIn('admin@example.com', 'Admin-Local-1!', challenge)).searchParams.get('code')!;
    const other = pkce().verifier;
    expect(await exchange(codeForm(code, other))).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(await exchange(codeForm(code, verifier))).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a code exchanged for another redirect URI or without a verifier', async () => {
    const a = pkce();
    const codeA = (await signIn('admin@example.com', 'Admin-Local-1!', a.challenge)).searchParams.get('code')!;
    expect((await exchange(codeForm(codeA, a.verifier, `${redirectUri}x`))).status).toBe(400);
    const b = pkce();
    const codeB = (await signIn('admin@example.com', 'Admin-Local-1!', b.challenge)).searchParams.get('code')!;
    const { code_verifier: _omitted, ...noVerifier } = codeForm(codeB, b.verifier);
    expect(await exchange(noVerifier)).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('never redirects to a URI that is not exactly registered', async () => {
    const { challenge } = pkce();
    for (const uri of [`${redirectUri}evil`, `${runtime.url}/console`, 'https://attacker.example/console/']) {
      const res = await fetch(
        authorizeUrl({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: uri,
          state: 's',
          code_challenge_method: 'S256',
          code_challenge: challenge,
        }),
        { redirect: 'manual' },
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('requires PKCE with S256, answering on the redirect URI with the state', async () => {
    for (const params of [{}, { code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) }]) {
      const res = await fetch(
        authorizeUrl({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirectUri,
          state: 'keep',
          ...params,
        }),
        { redirect: 'manual' },
      );
      expect(res.status).toBe(302);
      const back = new URL(res.headers.get('location')!);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('state')).toBe('keep');
      expect(back.searchParams.get('code')).toBeNull();
    }
  });

  it('shows the form again on a wrong password, and gives no code', async () => {
    const page = await fetch(
      authorizeUrl({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        code_challenge_method: 'S256',
        code_challenge: pkce().challenge,
      }),
    );
    const request = /name="request" value="([^"]+)"/.exec(await page.text())![1]!;
    const wrong = await fetch(`${runtime.url}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, username: 'admin@example.com', password: 'wrong' }).toString(),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Incorrect username or password.');
  });

  it('refuses a user outside risk-admins and risk-auditors at token time', async () => {
    const back = await signIn('alice@example.com', 'Alice-Local-1!', pkce().challenge, 'alice-state');
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('error_description')).toContain('only for members of risk-admins or risk-auditors');
    expect(back.searchParams.get('state')).toBe('alice-state');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('console tokens open staff routes only, never a signed-in user route; refresh works until revoked', async () => {
    const { verifier, challenge } = pkce();
    const code = (await signIn('admin@example.com', 'Admin-Local-1!', challenge)).searchParams.get('code')!;
    const { body } = await exchange(codeForm(code, verifier));
    const bearer = { authorization: `Bearer ${body.access_token as string}` };
    expect((await fetch(`${runtime.url}/v1/admin/policy`, { headers: bearer })).status).toBe(200);
    const totp = await fetch(`${runtime.url}/v1/step-up/totp/enroll`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(totp.status).toBe(401);
    expect(totp.headers.get('www-authenticate')).toContain('valid audience');

    const refreshed = await exchange({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: body.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    await fetch(`${runtime.url}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, token: body.refresh_token }).toString(),
    });
    const revoked = await exchange({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: body.refresh_token,
    });
    expect(revoked).toEqual({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('offers the console client no InitiateAuth flow (no password-only way around managed login)', async () => {
    const res = await fetch(runtime.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: 'admin@example.com', PASSWORD: 'Admin-Local-1!' },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('flow not enabled for this client');
  });

  it('serves the console with the shared security headers: no unsafe-inline, no unsafe-eval, no framing', async () => {
    const res = await fetch(`${runtime.url}/console/config.json`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.json()).toMatchObject({ clientId, tokenUrl: `${runtime.url}/oauth2/token` });
    const escape = await fetch(`${runtime.url}/console/..%2f..%2fpackage.json`);
    expect(escape.status).toBe(404);
  });
});
