/**
 * The security headers of the security console, defined once: the local runtime sends them with every console
 * file, and the CDK console construct builds CloudFront's response headers policy from the same object, so what a
 * developer tests locally is what the deployed console enforces.
 *
 * The policy has no 'unsafe-inline' and no 'unsafe-eval': the built console is one script file and one style sheet
 * from its own origin. Tokens only ever travel to the console's own origin (the admin API is served beside it) and
 * to the user pool's token endpoint, so `connect-src` names exactly those.
 */
export interface ConsoleHeaderOptions {
  /** Origin of the OAuth token endpoint when it is not the console's own (the Cognito domain in AWS). */
  readonly tokenOrigin?: string;
}

export interface ConsoleHeaderPolicy {
  readonly contentSecurityPolicy: string;
  readonly strictTransportSecurity: {
    readonly maxAgeSeconds: number;
    readonly includeSubdomains: boolean;
    readonly preload: boolean;
  };
  readonly frameOptions: 'DENY';
  readonly referrerPolicy: 'no-referrer';
  readonly contentTypeOptions: 'nosniff';
  /** Headers CloudFront has no dedicated setting for (its policy sends them as custom headers). */
  readonly custom: Readonly<Record<string, string>>;
}

const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i;

export function consoleHeaderPolicy(options: ConsoleHeaderOptions = {}): ConsoleHeaderPolicy {
  const connect = ["'self'"];
  if (options.tokenOrigin !== undefined) {
    // A CDK token (unresolved at synth) or a plain origin; anything else would widen the policy by accident.
    if (!ORIGIN.test(options.tokenOrigin) && !options.tokenOrigin.includes('${Token[')) {
      throw new Error(`tokenOrigin must be an origin such as https://auth.example.com, got "${options.tokenOrigin}"`);
    }
    connect.push(options.tokenOrigin);
  }
  const directives = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ];
  return {
    contentSecurityPolicy: directives.join('; '),
    strictTransportSecurity: { maxAgeSeconds: 63_072_000, includeSubdomains: true, preload: false },
    frameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    contentTypeOptions: 'nosniff',
    custom: {
      'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
    },
  };
}

/** The policy as plain response headers (lower-case names), as the local runtime sends them. */
export function consoleHeaderLines(policy: ConsoleHeaderPolicy): Record<string, string> {
  const hsts = policy.strictTransportSecurity;
  return {
    'content-security-policy': policy.contentSecurityPolicy,
    'strict-transport-security':
      `max-age=${hsts.maxAgeSeconds}` +
      (hsts.includeSubdomains ? '; includeSubDomains' : '') +
      (hsts.preload ? '; preload' : ''),
    'x-frame-options': policy.frameOptions,
    'referrer-policy': policy.referrerPolicy,
    'x-content-type-options': policy.contentTypeOptions,
    ...Object.fromEntries(Object.entries(policy.custom).map(([k, v]) => [k.toLowerCase(), v])),
  };
}

/** Where the console is served, locally and behind CloudFront; its OAuth redirect URI is this path on its origin. */
export const CONSOLE_PATH = '/console/';
