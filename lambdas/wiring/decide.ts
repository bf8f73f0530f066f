import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { failFastDynamoDbSettings } from '../adapters/dynamodb/dynamodb-client-settings';
import { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import { correlationIds, PowertoolsLog } from '../adapters/powertools-log';
import { SecretsManagerAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { composeDecide } from '../composition/decide';
import { decisionTokenIssuer, decisionTokenSigner } from '../composition/decision-token';
import { errorSummaries } from '../handlers/http/error-log';
import { openNetworkData } from '../composition/network-data';
import { optionalEnv, requiredEnv } from '../config/env';
import { ENV, NETWORK_DATA_BUNDLE_PATH } from '../contracts/environment';
import { METRICS } from '../contracts/metrics';
import { CachedShadowScorer } from '../application/decide/shadow-scorer';

// Created once per cold start. Short timeouts and one retry: a decision must fail closed quickly rather than
// hang while the client waits on a store that does not answer.
const log = new PowertoolsLog();
const dynamo = new DynamoDBClient(failFastDynamoDbSettings());
const secrets = new SecretsManagerAppSecrets(new SecretsManagerClient({}), requiredEnv(ENV.secretsArn));
const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.serviceName });

const tables = {
  risk: requiredEnv(ENV.riskTable),
  audit: requiredEnv(ENV.auditTable),
  policy: requiredEnv(ENV.policyTable),
};

// The ASN table shipped beside this bundle (or a data layer's copy): loaded once, its age logged and measured so
// operators see when nobody refreshed it.
const networkData = openNetworkData(
  optionalEnv(ENV.networkDataFile) ?? NETWORK_DATA_BUNDLE_PATH,
  Date.now(),
  __dirname,
);
log[networkData.log.level](networkData.log.message, networkData.log.fields);
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
  signDecisionToken: decisionTokenSigner({ secrets, issuer: decisionTokenIssuer(requiredEnv(ENV.stage)) }),
  onDecision: (decision, failedClosed) => {
    const single = metrics.singleMetric();
    single.addDimension(METRICS.decisionDimension, decision);
    single.addMetric(METRICS.decisions, MetricUnit.Count, 1);
    if (failedClosed) metrics.singleMetric().addMetric(METRICS.decisionsFailedClosed, MetricUnit.Count, 1);
  },
  logError: errorSummaries(log),
});

export const handler = log.handler(decide, correlationIds.http);
