import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AdminApi } from '../constructs/admin-api';
import { DecisionApi } from '../constructs/decision-api';
import { Observability } from '../constructs/observability';
import { StepUpApi } from '../constructs/step-up-api';
import { StepgateHttpApi } from '../constructs/stepgate-http-api';
import { ENV, type EnvVarName } from '../../lambdas/contracts/environment';
import type { StageConfig } from '../stage-config';
import type { StatefulStack } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  /** Tables, secret and user pool this stack's functions and authorizers use. */
  readonly stateful: StatefulStack;
}

/**
 * Replaceable at any time: the API functions (decide, admin, audit, totp), the HTTP API and its authorizers, alarms
 * and the dashboard.
 */
export class StatelessStack extends Stack {
  readonly http: StepgateHttpApi;
  readonly decision: DecisionApi;
  readonly admin: AdminApi;
  readonly stepUp: StepUpApi;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, { terminationProtection: props.config.terminationProtection, ...props });
    const c = props.config;
    const { tables, secrets, auth, anchoring } = props.stateful;

    this.http = new StepgateHttpApi(this, 'Http', {
      prefix: c.prefix,
      tokenIssuer: auth.tokenIssuer,
      appClientIds: [auth.appClient.userPoolClientId],
      userClientIds: [auth.webClient.userPoolClientId],
      rateLimit: c.apiRateLimit,
      burstLimit: c.apiBurstLimit,
      logRetention: c.logRetention,
      logRemovalPolicy: c.removalPolicy,
    });

    const environment: Partial<Record<EnvVarName, string>> = {
      [ENV.stage]: c.stage,
      [ENV.userPoolId]: auth.userPool.userPoolId,
      [ENV.appClientIds]: auth.appClient.userPoolClientId,
      [ENV.webClientId]: auth.webClient.userPoolClientId,
      [ENV.tokenIssuer]: auth.tokenIssuer,
      [ENV.checkpointBucket]: anchoring.bucketName,
      [ENV.checkpointKeyArn]: anchoring.key.keyArn,
      [ENV.checkpointRetentionDays]: String(c.checkpointRetentionDays),
    };
    const common = {
      http: this.http,
      tables,
      secret: secrets.secret,
      environment,
      logRetention: c.logRetention,
      logRemovalPolicy: c.removalPolicy,
    };
    this.decision = new DecisionApi(this, 'Decision', {
      ...common,
      ...(c.networkData ? { networkData: c.networkData } : {}),
    });
    this.admin = new AdminApi(this, 'Admin', common);
    // Verify checks the trail against the latest signed checkpoint: read-only access to them.
    anchoring.grantVerify(this.admin.audit);
    this.stepUp = new StepUpApi(this, 'StepUp', common);

    this.observability = new Observability(this, 'Observability', {
      prefix: c.prefix,
      decide: this.decision.decide.fn,
      apiFunctions: [this.admin.admin.fn, this.admin.audit.fn, this.stepUp.totp.fn],
      triggers: Object.fromEntries(Object.entries(auth.triggers).map(([name, t]) => [name, t.fn])),
      api: this.http.api,
      thresholds: c.alarms,
      ...(c.alarmTopicArn ? { alarmTopicArn: c.alarmTopicArn } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.http.stage.url });
  }
}
