import { signDecisionToken, type DecisionTokenClaims } from '../core/step-up/decision-token';
import type { DecisionTokenSigner } from '../application/decide/collaborators';
import type { AppSecretsSource } from '../ports/app-secrets';

/**
 * The `iss` of sign-in decision tokens: the decide function signs with it and the triggers accept only it. Both
 * sides take it from here (with the STAGE variable in AWS, `local` in the local runtime).
 */
export function decisionTokenIssuer(stage: string): string {
  return `stepgate:${stage}`;
}

/** The `signDecisionToken` option of composeDecide: HS256 with the application secret's `decisionTokenKey`. */
export function decisionTokenSigner(input: {
  readonly secrets: AppSecretsSource;
  readonly issuer: string;
}): DecisionTokenSigner {
  return async ({ now, ...claims }) => {
    const tokenClaims: DecisionTokenClaims = { ...claims, action: 'auth.sign_in' };
    return signDecisionToken(tokenClaims, (await input.secrets.get()).decisionTokenKey, {
      issuer: input.issuer,
      now,
      alg: 'HS256',
    });
  };
}
