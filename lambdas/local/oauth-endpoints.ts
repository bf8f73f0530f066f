import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CognitoServiceError, type AuthenticationResult, type CognitoEmulator } from './cognito-emulator';
import { readBody, sendJson } from './http-gateway';
import type { LocalAppClient, LocalIdentities } from './local-identities';
import type { LocalService } from './local-wiring';

/**
 * The user-pool endpoints of Cognito's managed login that the security console signs in with, locally: the
 * authorization endpoint with a minimal login page, the authorization-code and refresh grants of the token
 * endpoint, revocation, and logout.
 *
 * - `GET /oauth2/authorize`: `response_type=code`, a client with the code grant, a redirect URI equal to one of the
 *   client's (exactly; otherwise an error page, never a redirect), and PKCE with S256. Cognito lets a public client
 *   leave PKCE out; here it is required, so a console that forgot it fails locally before it ships.
 * - `POST /oauth2/authorize`: the login form. The password is checked against the emulator's SRP verifier, then
 *   post authentication and pre token generation run (`TokenGeneration_HostedAuth`); a refusal goes back to the
 *   redirect URI as `error=access_denied` with the trigger's message and the `state`.
 * - `POST /oauth2/token` (`authorization_code`, `refresh_token`): a code is single use (spent on its first
 *   exchange, right or wrong), lives 5 minutes, and is given only for the same client and redirect URI and a
 *   `code_verifier` whose S256 hash is the challenge.
 * - `POST /oauth2/revoke` and `GET /logout` (redirect to an exact logout URI).
 *
 * The login page is static HTML with no script and no inline style, under its own strict CSP.
 */
const CODE_TTL_MS = 5 * 60_000;
const REQUEST_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const LOGIN_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly challenge: string;
  readonly scope: string;
  readonly expiresAt: number;
}

interface IssuedCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly tokens: AuthenticationResult;
  readonly expiresAt: number;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

function s256(verifier: string): Buffer {
  return Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'), 'utf8');
}

function sameText(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class LocalOAuthEndpoints implements LocalService {
  private readonly requests = new Map<string, AuthorizationRequest>();
  private readonly codes = new Map<string, IssuedCode>();

  constructor(
    private readonly options: {
      readonly identities: LocalIdentities;
      readonly emulator: CognitoEmulator;
      readonly now: () => number;
    },
  ) {}

  private codeClient(clientId: string | null): LocalAppClient | undefined {
    const { consoleClient } = this.options.identities;
    return clientId !== null && clientId === consoleClient.clientId && consoleClient.oauth ? consoleClient : undefined;
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [k, r] of this.requests) if (r.expiresAt <= now) this.requests.delete(k);
    for (const [k, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(k);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/oauth2/authorize' && method === 'GET') this.authorizePage(res, url);
    else if (url.pathname === '/oauth2/authorize' && method === 'POST') await this.login(req, res);
    else if (url.pathname === '/oauth2/revoke' && method === 'POST') await this.revoke(req, res);
    else if (url.pathname === '/logout' && method === 'GET') this.logout(res, url);
    else return false;
    return true;
  }

  private authorizePage(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const client = this.codeClient(q.get('client_id'));
    const redirectUri = q.get('redirect_uri') ?? '';
    // Without a known client and one of its exact redirect URIs there is nowhere safe to send an error.
    if (!client?.oauth || !client.oauth.redirectUris.includes(redirectUri)) {
      return this.page(res, 400, 'Sign-in error', '<p>invalid_request: unknown client or redirect_uri</p>');
    }
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) =>
      this.redirect(res, redirectUri, { error, error_description: description, state });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !CHALLENGE.test(challenge)) {
      return fail('invalid_request', 'PKCE is required: code_challenge_method=S256 and a code_challenge');
    }
    const scope = q.get('scope') ?? client.oauth.scopes.join(' ');
    if (scope.split(' ').some((s) => s !== '' && !client.oauth!.scopes.includes(s))) {
      return fail('invalid_scope', `scopes allowed: ${client.oauth.scopes.join(' ')}`);
    }
    this.sweep();
    if (this.requests.size >= MAX_PENDING) return fail('temporarily_unavailable', 'too many sign-ins in progress');
    const requestId = randomBytes(24).toString('base64url');
    this.requests.set(requestId, {
      clientId: client.clientId,
      redirectUri,
      ...(state !== undefined ? { state } : {}),
      challenge,
      scope,
      expiresAt: this.options.now() + REQUEST_TTL_MS,
    });
    this.loginForm(res, requestId);
  }

  private loginForm(res: ServerResponse, requestId: string, message?: string): void {
    this.page(
      res,
      message ? 401 : 200,
      'Sign in to stepgate',
      `<h1>Sign in</h1>
<p>Local user pool: the security console of stepgate.</p>
${message ? `<p role="alert" id="error">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/oauth2/authorize">
<input type="hidden" name="request" value="${escapeHtml(requestId)}">
<p><label>Username <input name="username" id="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit" id="sign-in">Sign in</button></p>
</form>`,
    );
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 16 * 1024);
    if (body === 'too_large') return this.page(res, 400, 'Sign-in error', '<p>invalid_request</p>');
    const form = new URLSearchParams(body.toString('utf8'));
    const requestId = form.get('request') ?? '';
    const request = this.requests.get(requestId);
    if (!request || request.expiresAt <= this.options.now()) {
      this.requests.delete(requestId);
      return this.page(res, 400, 'Sign-in error', '<p>This sign-in expired: start again from the console.</p>');
    }
    let tokens: AuthenticationResult;
    try {
      tokens = await this.options.emulator.hostedSignIn(
        form.get('username') ?? '',
        form.get('password') ?? '',
        request.clientId,
      );
    } catch (error) {
      if (error instanceof CognitoServiceError && error.type === 'NotAuthorizedException') {
        return this.loginForm(res, requestId, error.message);
      }
      this.requests.delete(requestId);
      const message = error instanceof Error ? error.message : 'sign-in failed';
      return this.redirect(res, request.redirectUri, {
        error: 'access_denied',
        error_description: message,
        state: request.state,
      });
    }
    this.requests.delete(requestId);
    this.sweep();
    const code = randomBytes(32).toString('base64url');
    this.codes.set(code, {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      challenge: request.challenge,
      tokens,
      expiresAt: this.options.now() + CODE_TTL_MS,
    });
    this.redirect(res, request.redirectUri, { code, state: request.state });
  }

  /**
   * The `authorization_code` and `refresh_token` grants of `POST /oauth2/token` (public clients: `client_id` in
   * the form, no secret). Errors are RFC 6749 section 5.2 bodies, as Cognito sends them.
   */
  async tokenGrant(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const client = this.codeClient(form.get('client_id'));
    if (!client) return sendJson(res, 400, { error: 'invalid_client' });
    if (form.get('grant_type') === 'refresh_token') {
      const token = form.get('refresh_token');
      if (!token) return sendJson(res, 400, { error: 'invalid_request' });
      try {
        const t = await this.options.emulator.refreshGrant(token, client.clientId);
        return sendJson(res, 200, this.tokenBody(t), { 'cache-control': 'no-store' });
      } catch {
        return sendJson(res, 400, { error: 'invalid_grant' });
      }
    }
    const codeText = form.get('code') ?? '';
    const issued = this.codes.get(codeText);
    // Single use: the first exchange spends the code, whether it succeeds or not.
    this.codes.delete(codeText);
    const verifier = form.get('code_verifier') ?? '';
    if (
      !issued ||
      issued.expiresAt <= this.options.now() ||
      issued.clientId !== client.clientId ||
      issued.redirectUri !== (form.get('redirect_uri') ?? '') ||
      !VERIFIER.test(verifier) ||
      !sameText(s256(verifier), Buffer.from(issued.challenge, 'utf8'))
    ) {
      return sendJson(res, 400, { error: 'invalid_grant' });
    }
    sendJson(res, 200, this.tokenBody(issued.tokens), { 'cache-control': 'no-store' });
  }

  private tokenBody(t: AuthenticationResult): Record<string, unknown> {
    return {
      access_token: t.AccessToken,
      id_token: t.IdToken,
      ...(t.RefreshToken ? { refresh_token: t.RefreshToken } : {}),
      expires_in: t.ExpiresIn,
      token_type: 'Bearer',
    };
  }

  private async revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, 16 * 1024);
    if (body === 'too_large') return sendJson(res, 400, { error: 'invalid_request' });
    const form = new URLSearchParams(body.toString('utf8'));
    const client = this.codeClient(form.get('client_id'));
    if (!client) return sendJson(res, 400, { error: 'invalid_client' });
    this.options.emulator.revokeRefreshToken(form.get('token') ?? '', client.clientId);
    res.writeHead(200, { 'content-length': 0 });
    res.end();
  }

  private logout(res: ServerResponse, url: URL): void {
    const client = this.codeClient(url.searchParams.get('client_id'));
    const target = url.searchParams.get('logout_uri') ?? '';
    if (!client?.oauth?.redirectUris.includes(target)) {
      return this.page(res, 400, 'Sign-out error', '<p>invalid_request: unknown client or logout_uri</p>');
    }
    res.writeHead(302, { location: target, 'cache-control': 'no-store' });
    res.end();
  }

  private redirect(res: ServerResponse, uri: string, params: Record<string, string | undefined>): void {
    const target = new URL(uri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
    res.writeHead(302, { location: target.toString(), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    res.end();
  }

  private page(res: ServerResponse, status: number, title: string, body: string): void {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'content-security-policy': LOGIN_CSP,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(html);
  }
}
