import { Construct } from 'constructs';
import type { RelyingPartyConfig } from '../../lambdas/contracts/relying-party';
import type { ApiFunctionsProps } from './decision-api';
import { relyingPartyEnvironment } from './relying-party-environment';
import { StepgateFunction } from './stepgate-function';

export interface StepUpApiProps extends ApiFunctionsProps {
  /**
   * Where passkeys are valid (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS of the totp function): the RP ID and the exact
   * origins of the pages that register passkeys. Checked at synth.
   * @default none: every passkey route answers 503 "not configured"
   */
  readonly passkeys?: RelyingPartyConfig;
}

/**
 * The signed-in user's own authenticators: TOTP enrolment (enroll, confirm, remove) and passkeys on their
 * API_ROUTES routes, behind the `user` authorizer. TOTP seeds are sealed with the OTP pepper and stored where the
 * triggers read them, as are the passkeys' public keys.
 */
export class StepUpApi extends Construct {
  readonly totp: StepgateFunction;

  constructor(scope: Construct, id: string, props: StepUpApiProps) {
    super(scope, id);
    this.totp = new StepgateFunction(this, 'Totp', {
      name: 'totp',
      tables: props.tables,
      secret: props.secret,
      environment: { ...props.environment, ...relyingPartyEnvironment(props.passkeys) },
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    props.http.mount('totp', this.totp.fn);
  }
}
