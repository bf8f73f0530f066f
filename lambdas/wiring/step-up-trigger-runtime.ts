import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { PowertoolsLog } from '../adapters/powertools-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { decisionTokenIssuer } from '../composition/decision-token';
import { composeStepUpTriggers, type StepUpTriggers } from '../composition/step-up-triggers';
import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';
import { METRICS } from '../contracts/metrics';
import type { CodeSender } from '../ports/code-sender';

/**
 * What the five trigger wiring files share: clients created once per cold start, configuration from the
 * environment, logs and metrics. Not a Lambda entry itself. Cognito waits 5 s for a trigger and the functions time
 * out at 4 s, so DynamoDB calls get short timeouts and one retry: a slow store turns into a failed challenge (the
 * trigger fails closed), not a Cognito timeout. Each wiring file wraps its trigger with `log.handler`, so every line
 * it logs carries the Lambda request id and the step-up it is for.
 */
export function stepUpTriggerRuntime(
  functionName: string,
  options: { codeSender?: CodeSender } = {},
): { readonly triggers: StepUpTriggers; readonly log: PowertoolsLog } {
  const log = new PowertoolsLog();
  const dynamo = new DynamoDBClient({
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 300, requestTimeout: 1000 }),
  });
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.serviceName });
  const count = (name: string) => metrics.singleMetric().addMetric(name, MetricUnit.Count, 1);
  const triggers = composeStepUpTriggers({
    dynamo,
    tables: { risk: requiredEnv(ENV.riskTable) },
    clock: Date.now,
    secrets: new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn)),
    decisionTokenIssuer: decisionTokenIssuer(requiredEnv(ENV.stage)),
    ...(options.codeSender ? { codeSender: options.codeSender } : {}),
    audit: new DynamoDbAuditLog({ client: dynamo, tableName: requiredEnv(ENV.auditTable), writer: functionName }),
    onAuditFailure: () => count(METRICS.auditWriteFailed),
    onVerification: (outcome) => {
      if (outcome === 'fail') count(METRICS.verificationFailed);
    },
    log,
  });
  return { triggers, log };
}
