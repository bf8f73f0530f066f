import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http-gateway';
import type { LocalIdentities } from './local-identities';
import type { LocalIssuer } from './local-issuer';

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * `client_id:client_secret` from HTTP Basic credentials, each part form-urlencoded (RFC 6749 section 2.3.1), or
 * undefined when they are not: no colon, or a percent escape that does not decode (`%E0%A4%A`).
 */
function basicCredentials(encoded: string): { clientId: string; secret: string } | undefined {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const decode = (part: string) => decodeURIComponent(part);
    return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
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
    const credentials = basicCredentials(auth.slice(6));
    if (!credentials) {
      // Cognito answers a malformed request with 400 invalid_request (RFC 6749 section 5.2).
      return sendJson(res, 400, {
        error: 'invalid_request',
        error_description: 'authorization: Basic credentials must be base64 of url-encoded client_id:client_secret',
      });
    }
    ({ clientId, secret } = credentials);
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
