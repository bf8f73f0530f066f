import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { failFastDynamoDbSettings } from '../adapters/dynamodb/dynamodb-client-settings';
import { composeDecide } from '../composition/decide';
import { decisionTokenIssuer, decisionTokenSigner } from '../composition/decision-token';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { CachedShadowScorer } from '../handlers/shadow-scorer';
import { optionalEnv, requiredEnv } from '../config/env';
import { openNetworkData } from '../composition/network-data';
import { ENV, METRICS, NETWORK_DATA_BUNDLE_PATH } from '../../lib/lambda-entries';
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

// The ASN table shipped beside this bundle (or a data layer's copy): loaded once, its age logged and measured so
// operators see when nobody refreshed it.
const networkData = openNetworkData(
  optionalEnv(ENV.networkDataFile) ?? NETWORK_DATA_BUNDLE_PATH,
  Date.now(),
  __dirname,
);
console.log(JSON.stringify(networkData.log));
if (networkData.ageDays !== undefined) {
  metrics.singleMetric().addMetric(METRICS.networkDataAgeDays, MetricUnit.Count, networkData.ageDays);
}

const { handler: decide } = composeDecide({
  dynamo,
  ...(networkData.locator ? { network: networkData.locator } : {}),
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
