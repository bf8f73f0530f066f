/**
 * Where passkeys are valid: the WebAuthn relying party ID and the exact origins whose pages run the ceremonies.
 * The CDK checks a stage's values with these rules at synth, and the Lambda wiring checks what it receives at cold
 * start, so a relying party no browser would accept fails before any user meets it.
 */
export interface RelyingPartyConfig {
  /** The registrable domain the credentials are scoped to (`example.com`): no scheme, port or path. */
  readonly rpId: string;
  /** Exact origins (`https://app.example.com`) on the RP ID or its subdomains. */
  readonly origins: readonly string[];
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `host` is the RP ID or one of its subdomains: the only origins a browser lets use that RP ID. */
function withinRpId(host: string, rpId: string): boolean {
  return host === rpId || host.endsWith(`.${rpId}`);
}

function originProblem(raw: string, rpId: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not an origin (scheme://host[:port])`;
  }
  if (url.origin !== raw) return `"${raw}" must be an exact origin (no path, no trailing slash)`;
  // Browsers run WebAuthn only in secure contexts: https, or http on localhost.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && url.hostname === 'localhost')) {
    return `"${raw}" must be https (http only for localhost)`;
  }
  if (!withinRpId(url.hostname, rpId)) return `"${raw}" is not on ${rpId} or a subdomain of it`;
  return undefined;
}

/** What is wrong with a relying party, naming the field (`rpId` or `origins`); undefined when a browser accepts it. */
export function relyingPartyProblem(
  config: RelyingPartyConfig,
): { readonly field: 'rpId' | 'origins'; readonly reason: string } | undefined {
  if (!HOSTNAME.test(config.rpId)) {
    return { field: 'rpId', reason: 'must be a lower-case domain name (no scheme, port or path)' };
  }
  if (config.origins.length === 0) return { field: 'origins', reason: 'lists no origin' };
  for (const origin of config.origins) {
    const reason = originProblem(origin, config.rpId);
    if (reason) return { field: 'origins', reason };
  }
  return undefined;
}

/** A comma-separated list of origins (as WEBAUTHN_ORIGINS and the CDK context carry it), trimmed, empties dropped. */
export function originList(raw: string): string[] {
  return raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}
