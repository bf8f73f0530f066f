import type { RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvVarName } from '../../lambdas/contracts/environment';
import type { NetworkDataConfig } from '../stage-config';
import type { StepgateHttpApi } from './stepgate-http-api';
import { LAMBDA_RUNTIME, StepgateFunction } from './stepgate-function';
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

export interface DecisionApiProps extends ApiFunctionsProps {
  /** Operator-supplied ASN data; default: the table built from the installed package, in the bundle. */
  readonly networkData?: NetworkDataConfig;
}

/**
 * The decision path: the decide function (geoip-lite and the ASN table shipped with it) on its API_ROUTES routes
 * (`app` tokens), and the optional ASN data layer from S3.
 */
export class DecisionApi extends Construct {
  readonly decide: StepgateFunction;
  readonly networkDataLayer?: LayerVersion;

  constructor(scope: Construct, id: string, props: DecisionApiProps) {
    super(scope, id);
    const s3 = props.networkData?.s3;
    if (s3) {
      this.networkDataLayer = new LayerVersion(this, 'NetworkData', {
        code: Code.fromBucket(Bucket.fromBucketName(this, 'NetworkDataBucket', s3.bucket), s3.key, s3.objectVersion),
        compatibleRuntimes: [LAMBDA_RUNTIME],
        compatibleArchitectures: [Architecture.ARM_64],
        description: `stepgate ASN table from s3://${s3.bucket}/${s3.key}${s3.objectVersion ? ` (${s3.objectVersion})` : ''}`,
      });
    }
    const file = props.networkData?.file;
    this.decide = new StepgateFunction(this, 'Decide', {
      name: 'decide',
      tables: props.tables,
      secret: props.secret,
      environment: props.environment,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      ...(file || this.networkDataLayer
        ? {
            networkData: {
              ...(file ? { file } : {}),
              ...(this.networkDataLayer ? { layer: this.networkDataLayer } : {}),
            },
          }
        : {}),
    });
    props.http.mount('decide', this.decide.fn);
  }
}
