import { ENV } from '../contracts/environment';
import type { RelyingParty } from '../ports/webauthn';
import { optionalEnv } from './env';

/** A configured relying party that cannot work: the cold start fails naming the variable, not a ceremony later. */
export class InvalidConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`environment variable ${variable}: ${reason}`);
    this.name = 'InvalidConfigError';
  }
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `host` is the RP ID or one of its subdomains: the only origins a browser lets use that RP ID. */
function withinRpId(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

function parseOrigin(raw: string, rpId: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidConfigError(ENV.webauthnOrigins, `"${raw}" is not an origin (scheme://host[:port])`);
  }
  if (url.origin !== raw) {
    throw new InvalidConfigError(ENV.webauthnOrigins, `"${raw}" must be an exact origin (no path, no trailing slash)`);
  }
  // Browsers run WebAuthn only in secure contexts: https, or http on localhost.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === 'localhost')) {
    throw new InvalidConfigError(ENV.webauthnOrigins, `"${raw}" must be https (http only for localhost)`);
  }
  if (!withinRpId(url.hostname, rpId)) {
    throw new InvalidConfigError(ENV.webauthnOrigins, `"${raw}" is not on ${rpId} or a subdomain of it`);
  }
  return raw;
}

/**
 * The relying party passkeys are valid for, from WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS. Neither set: passkeys are
 * off (the passkey routes answer 503, the webauthn method never passes). One without the other, or values no
 * browser would accept together, fail the cold start: a half-configured relying party would fail every ceremony.
 */
export function relyingPartyFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RelyingParty | undefined {
  const rpId = optionalEnv(ENV.webauthnRpId, env);
  const originList = optionalEnv(ENV.webauthnOrigins, env);
  if (rpId === undefined && originList === undefined) return undefined;
  if (rpId === undefined) throw new InvalidConfigError(ENV.webauthnRpId, `required when ${ENV.webauthnOrigins} is set`);
  if (originList === undefined) {
    throw new InvalidConfigError(ENV.webauthnOrigins, `required when ${ENV.webauthnRpId} is set`);
  }
  if (!HOSTNAME.test(rpId)) {
    throw new InvalidConfigError(ENV.webauthnRpId, 'must be a lower-case domain name (no scheme, port or path)');
  }
  const origins = originList
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => parseOrigin(o, rpId));
  if (origins.length === 0) throw new InvalidConfigError(ENV.webauthnOrigins, 'lists no origin');
  return { rpId, rpName: 'stepgate', origins };
}
