import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-gateway';
import type { LocalIdentities } from './local-identities';
import type { LocalIssuer } from './local-issuer';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** `POST /oauth2/token` with Cognito's client-credentials semantics and error bodies. */
export async function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  issuer: LocalIssuer,
  identities: LocalIdentities,
  nowSeconds: number,
): Promise<void> {
  const body = await readBody(req, 64 * 1024);
  if (body === 'too_large') return sendJson(res, 400, { error: 'invalid_request' });
  if (!/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
    return sendJson(res, 400, { error: 'invalid_request' });
  }
  const form = new URLSearchParams(body.toString('utf8'));
  if (form.get('grant_type') !== 'client_credentials') return sendJson(res, 400, { error: 'unsupported_grant_type' });
  const auth = req.headers.authorization ?? '';
  let clientId = form.get('client_id') ?? '';
  let secret = form.get('client_secret') ?? '';
  if (auth.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    clientId = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const client = identities.appClient;
  if (clientId !== client.clientId || !client.clientSecret || !sameSecret(secret, client.clientSecret)) {
    return sendJson(res, 400, { error: 'invalid_client' });
  }
  const requested = form.get('scope')?.split(' ').filter(Boolean) ?? [...client.allowedScopes];
  if (requested.some((s) => !client.allowedScopes.includes(s))) return sendJson(res, 400, { error: 'invalid_scope' });
  const token = await issuer.clientCredentials(client, requested, nowSeconds);
  sendJson(res, 200, { access_token: token, expires_in: 3600, token_type: 'Bearer' });
}
