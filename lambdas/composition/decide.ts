import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../core/policy/default-policy';
import { DynamoDbDecisionStore, type TransactionParticipant } from '../adapters/dynamodb/dynamodb-decision-store';
import { globalKeys } from '../adapters/dynamodb/population-counts';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import type { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import type { AuditEvent } from '../core/audit/audit-event';
import { GeoipLiteLocator } from '../adapters/geoip-lite-locator';
import { pseudonymizerFrom } from '../adapters/hmac-pseudonymizer';
import { EphemeralAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { UaParserDeviceParser } from '../adapters/ua-parser-device-parser';
import { buildDecideHandler, type DecideDependencies } from '../handlers/decide';
import { PolicyCache } from '../handlers/policy-cache';
import type { DecisionWrite } from '../ports/decision-store';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Clock } from '../ports/clock';
import type { NetworkLocator } from '../ports/network-locator';

export { globalKeys };

/** The audit record of a decision: who asked, about whom, what was answered and why (reason codes, no raw context). */
export function decisionAuditEvent(write: DecisionWrite): AuditEvent {
  const { record } = write;
  return {
    eventId: `decision:${record.decisionId}`,
    kind: 'decision',
    actor: { type: 'app', id: record.clientId },
    subject: record.userId,
    action: record.action,
    outcome: record.evaluation.decision,
    reasons: record.evaluation.reasons.map((r) => r.code),
    policyVersion: record.policyVersion,
    ...(record.requestId ? { requestId: record.requestId } : {}),
    at: new Date(record.at).toISOString(),
    data: {
      decisionId: record.decisionId,
      score: record.evaluation.score,
      ...(record.stepUpId ? { stepUpId: record.stepUpId } : {}),
      ...(record.redeemedStepUpId ? { redeemedStepUpId: record.redeemedStepUpId } : {}),
    },
  };
}

function auditParticipant(auditLog: DynamoDbAuditLog) {
  return (write: DecisionWrite): Promise<TransactionParticipant> =>
    Promise.resolve(auditLog.prepare(decisionAuditEvent(write)));
}

export interface DecideComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: TableNames;
  readonly clock: Clock;
  /** The application secret (its pseudonymKey); a random one for the life of the process when absent (tests). */
  readonly secrets?: AppSecretsSource;
  readonly policyCacheMs?: number;
  /** Appends each decision's audit record inside the decision's own transaction (one write round trip). */
  readonly auditLog?: DynamoDbAuditLog;
  readonly signDecisionToken?: DecideDependencies['signDecisionToken'];
  readonly shadow?: DecideDependencies['shadow'];
  readonly onDecision?: DecideDependencies['onDecision'];
  readonly onRoundTrip?: (kind: 'read' | 'write') => void;
  /** AS numbers for the geo of each decision; without it the familiarity model uses the address prefix. */
  readonly network?: NetworkLocator;
}

/** Builds the decide handler from clients and configuration: shared by the Lambda wiring and the local runtime. */
export function composeDecide(c: DecideComposition) {
  const store = new DynamoDbDecisionStore(c.dynamo, c.tables, {
    globalKeys,
    ...(c.auditLog ? { audit: auditParticipant(c.auditLog) } : {}),
    ...(c.onRoundTrip ? { onRoundTrip: c.onRoundTrip } : {}),
  });
  const handler = buildDecideHandler({
    store,
    policyCache: new PolicyCache(c.policyCacheMs ?? 5000),
    fallbackPolicy: { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' },
    geo: new GeoipLiteLocator(undefined, c.network),
    device: new UaParserDeviceParser(),
    clock: c.clock,
    newId: () => randomUUID(),
    pseudonymizer: pseudonymizerFrom(c.secrets ?? new EphemeralAppSecrets((n) => randomBytes(n))),
    ...(c.signDecisionToken ? { signDecisionToken: c.signDecisionToken } : {}),
    ...(c.shadow ? { shadow: c.shadow } : {}),
    ...(c.onDecision ? { onDecision: c.onDecision } : {}),
  });
  return { handler, store };
}
