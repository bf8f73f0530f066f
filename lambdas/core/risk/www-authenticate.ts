import type { StepUpRequirement } from './types';

export const DEFAULT_STEP_UP_DESCRIPTION = 'A different authentication level is required';

function quote(s: string): string {
  // RFC 9110 quoted-string: escape backslash and double quote; control characters have no place in a header.
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) continue;
    out += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
  }
  return `"${out}"`;
}

/**
 * The RFC 9470 challenge an app relays to its client with a step_up decision:
 * `Bearer error="insufficient_user_authentication", error_description="...", acr_values="...", max_age=300`.
 *
 * max_age is always included, also when 0: RFC 9470 §3 defines it as the allowable time since the last active
 * authentication, so 0 states exactly what a `critical` level means ("authenticate now"), the way OIDC's
 * max_age=0 does; leaving it out would tell the client any previous authentication is acceptable.
 */
export function wwwAuthenticate(
  stepUp: Pick<StepUpRequirement, 'acr' | 'maxAgeSeconds'>,
  description: string = DEFAULT_STEP_UP_DESCRIPTION,
): string {
  const maxAge = Math.max(0, Math.floor(stepUp.maxAgeSeconds));
  return (
    `Bearer error="insufficient_user_authentication", error_description=${quote(description)}, ` +
    `acr_values=${quote(stepUp.acr)}, max_age=${maxAge}`
  );
}
