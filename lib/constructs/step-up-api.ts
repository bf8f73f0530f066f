import { Construct } from 'constructs';
import type { ApiFunctionsProps } from './decision-api';
import { StepgateFunction } from './stepgate-function';

/**
 * The signed-in user's own step-up settings: TOTP enrolment (enroll, confirm) on its API_ROUTES routes, behind the
 * `user` authorizer. The seed is sealed with the OTP pepper and stored where the triggers read it.
 */
export class StepUpApi extends Construct {
  readonly totp: StepgateFunction;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    this.totp = new StepgateFunction(this, 'Totp', {
      name: 'totp',
      tables: props.tables,
      secret: props.secret,
      environment: props.environment,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    props.http.mount('totp', this.totp.fn);
  }
}
