/**
 * Sign-in of the console: OAuth 2.0 authorization code with PKCE (S256) against the user pool's managed login (the
 * local Cognito emulator's login page locally). Tokens live in this module's memory only: never in localStorage or
 * sessionStorage, so a script that can read storage later finds none, and closing the tab ends the session.
 *
 * Only the PKCE verifier and the `state` value cross the redirect, in sessionStorage, and are removed as soon as
 * the code comes back: they are useless without the code, and the code is single use.
 */
export interface ConsoleConfig {
  readonly clientId: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly logoutUrl: string;
  readonly revokeUrl: string;
  readonly scopes: string;
}

export interface Session {
  readonly username: string;
  readonly groups: readonly string[];
  readonly expiresAt: number;
}

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
}

const PENDING_KEY = 'stepgate.console.pkce';
let tokens: Tokens | undefined;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let config: ConsoleConfig | undefined;
const listeners = new Set<(session: Session | undefined) => void>();

export function redirectUri(): string {
  return `${location.origin}/console/`;
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1] ?? '';
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function session(): Session | undefined {
  if (!tokens) return undefined;
  const claims = claimsOf(tokens.accessToken);
  const groups = Array.isArray(claims['cognito:groups'])
    ? claims['cognito:groups'].filter((g): g is string => typeof g === 'string')
    : [];
  const username =
    typeof claims.username === 'string' ? claims.username : typeof claims.sub === 'string' ? claims.sub : '';
  return { username, groups, expiresAt: tokens.expiresAt };
}

export function onSessionChange(listener: (session: Session | undefined) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  const current = session();
  for (const listener of listeners) listener(current);
}

export function accessToken(): string | undefined {
  return tokens && tokens.expiresAt > Date.now() ? tokens.accessToken : undefined;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/console/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`console configuration unavailable (${response.status})`);
  config = (await response.json()) as ConsoleConfig;
  return config;
}

export async function startSignIn(): Promise<void> {
  if (!config) throw new Error('configuration not loaded');
  const verifier = randomString(48);
  const state = randomString(24);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorizeUrl);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: config.scopes,
    state,
    code_challenge_method: 'S256',
    code_challenge: await challengeOf(verifier),
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(form: Record<string, string>): Promise<void> {
  if (!config) throw new Error('configuration not loaded');
  const response = await fetch(config.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    credentials: 'omit',
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new Error(`sign-in failed: ${typeof body.error === 'string' ? body.error : response.status}`);
  }
  const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 300;
  tokens = {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string'
      ? { refreshToken: body.refresh_token }
      : tokens?.refreshToken
        ? { refreshToken: tokens.refreshToken }
        : {}),
    expiresAt: Date.now() + expiresIn * 1000,
  };
  scheduleRefresh(expiresIn);
  changed();
}

function scheduleRefresh(expiresIn: number): void {
  if (refreshTimer) clearTimeout(refreshTimer);
  const refreshToken = tokens?.refreshToken;
  if (!refreshToken || !config) return;
  const clientId = config.clientId;
  refreshTimer = setTimeout(
    () => {
      tokenRequest({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }).catch(() => {
        tokens = undefined;
        changed();
      });
    },
    Math.max(5, expiresIn - 60) * 1000,
  );
}

/**
 * Completes a sign-in when the page is the redirect back from the authorization endpoint. Returns an error text
 * when the authorization server refused (for example a user outside the staff groups), undefined otherwise.
 */
export async function completeSignIn(): Promise<string | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  const pendingText = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `/console/${location.hash}`);
  const pending = pendingText ? (JSON.parse(pendingText) as { verifier?: string; state?: string }) : {};
  if (params.get('state') !== pending.state || !pending.verifier) {
    return 'sign-in answer did not match this browser tab (state mismatch): start again';
  }
  const error = params.get('error');
  if (error) return params.get('error_description') ?? error;
  if (!config) return 'configuration not loaded';
  try {
    await tokenRequest({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code: params.get('code') ?? '',
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    });
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

export async function signOut(): Promise<void> {
  const current = tokens;
  tokens = undefined;
  if (refreshTimer) clearTimeout(refreshTimer);
  changed();
  if (!config) return;
  if (current?.refreshToken) {
    await fetch(config.revokeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: current.refreshToken, client_id: config.clientId }).toString(),
    }).catch(() => undefined);
  }
  const url = new URL(config.logoutUrl);
  url.search = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() }).toString();
  location.assign(url.toString());
}
