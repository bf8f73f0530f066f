import { ENV } from '../contracts/environment';
import { originList, relyingPartyProblem } from '../contracts/relying-party';
import type { RelyingParty } from '../ports/webauthn';
import { optionalEnv } from './env';

/** A relying party that cannot work: the cold start fails naming the variable, not every ceremony later. */
export class InvalidConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`environment variable ${variable}: ${reason}`);
    this.name = 'InvalidConfigError';
  }
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
  const origins = optionalEnv(ENV.webauthnOrigins, env);
  if (rpId === undefined && origins === undefined) return undefined;
  if (rpId === undefined) throw new InvalidConfigError(ENV.webauthnRpId, `required when ${ENV.webauthnOrigins} is set`);
  if (origins === undefined) {
    throw new InvalidConfigError(ENV.webauthnOrigins, `required when ${ENV.webauthnRpId} is set`);
  }
  const config = { rpId, origins: originList(origins) };
  const problem = relyingPartyProblem(config);
  if (problem) {
    throw new InvalidConfigError(problem.field === 'rpId' ? ENV.webauthnRpId : ENV.webauthnOrigins, problem.reason);
  }
  return { ...config, rpName: 'stepgate' };
}
