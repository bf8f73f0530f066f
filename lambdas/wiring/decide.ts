import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { failFastDynamoDbSettings } from '../adapters/dynamodb/dynamodb-client-settings';
import { composeDecide } from '../composition/decide';
import { decisionTokenIssuer, decisionTokenSigner } from '../composition/decision-token';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { CachedShadowScorer } from '../handlers/shadow-scorer';
import { requiredEnv } from '../config/env';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';

// Created once per cold start. Short timeouts and one retry: a decision must fail closed quickly rather than
// hang while the client waits on a store that does not answer.
const dynamo = new DynamoDBClient(failFastDynamoDbSettings());
const secrets = new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv('SECRETS_ARN'));
const metrics = new Metrics({ namespace: 'Stepgate', serviceName: 'stepgate' });

const tables = {
  risk: requiredEnv('RISK_TABLE'),
  audit: requiredEnv('AUDIT_TABLE'),
  policy: requiredEnv('POLICY_TABLE'),
};

const { handler: decide } = composeDecide({
  dynamo,
  tables,
  // One chain per container: appends from parallel Lambdas never contend for a chain head.
  auditLog: new DynamoDbAuditLog({ client: dynamo, tableName: tables.audit, writer: 'decide' }),
  // Scores each decision under the shadow candidate too, when an admin has started one.
  shadow: new CachedShadowScorer(),
  clock: Date.now,
  secrets,
  signDecisionToken: decisionTokenSigner({ secrets, issuer: decisionTokenIssuer(requiredEnv('STAGE')) }),
  onDecision: (decision, failedClosed) => {
    const single = metrics.singleMetric();
    single.addDimension('Decision', decision);
    single.addMetric('Decisions', MetricUnit.Count, 1);
    if (failedClosed) metrics.singleMetric().addMetric('DecisionsFailedClosed', MetricUnit.Count, 1);
  },
});

export const handler = decide;
