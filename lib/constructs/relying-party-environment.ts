import { ENV, type EnvVarName } from '../../lambdas/contracts/environment';
import { relyingPartyProblem, type RelyingPartyConfig } from '../../lambdas/contracts/relying-party';

/**
 * WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS for a function that runs passkey ceremonies; nothing when passkeys are off.
 * Checked here, at synth: a relying party no browser accepts would otherwise fail every function's cold start.
 */
export function relyingPartyEnvironment(passkeys: RelyingPartyConfig | undefined): Partial<Record<EnvVarName, string>> {
  if (!passkeys) return {};
  const problem = relyingPartyProblem(passkeys);
  if (problem) throw new Error(`passkeys.${problem.field}: ${problem.reason}`);
  return { [ENV.webauthnRpId]: passkeys.rpId, [ENV.webauthnOrigins]: passkeys.origins.join(',') };
}
