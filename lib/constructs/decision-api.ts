import type { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvVarName } from '../lambda-entries';
import type { StepgateHttpApi } from './stepgate-http-api';
import { StepgateFunction } from './stepgate-function';
import type { StepgateTables } from './stepgate-tables';

export interface ApiFunctionsProps {
  /** The HTTP API the routes are mounted on. */
  readonly http: StepgateHttpApi;
  readonly tables: StepgateTables;
  readonly secret: ISecret;
  /** STAGE and the identity variables (USER_POOL_ID, APP_CLIENT_IDS, WEB_CLIENT_ID, TOKEN_ISSUER). */
  readonly environment: Partial<Record<EnvVarName, string>>;
  readonly logRetention: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** The decision path: the decide function (geoip-lite shipped with it) on its API_ROUTES routes (`app` tokens). */
export class DecisionApi extends Construct {
  readonly decide: StepgateFunction;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    this.decide = new StepgateFunction(this, 'Decide', {
      name: 'decide',
      tables: props.tables,
      secret: props.secret,
      environment: props.environment,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    props.http.mount('decide', this.decide.fn);
  }
}
