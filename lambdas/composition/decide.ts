import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DecisionTokenSigner, Idempotency, PolicySource, ShadowScorer } from '../application/decide/collaborators';
import { DecideWorkflow } from '../application/decide/decide-workflow';
import { PendingStepUps } from '../application/decide/pending-step-ups';
import { PolicyCache } from '../application/decide/policy-cache';
import { RecordOutcome } from '../application/decide/record-outcome';
import { ClientScopedIdempotency } from '../application/decide/request-idempotency';
import { defaultPolicy } from '../core/policy/default-policy';
import type { Decision } from '../core/risk/types';
import { DynamoDbDecisionStore, type TransactionParticipant } from '../adapters/dynamodb/dynamodb-decision-store';
import { DynamoDbFailureCounter } from '../adapters/dynamodb/dynamodb-failure-counter';
import { DynamoDbOutcomeStore } from '../adapters/dynamodb/dynamodb-outcome-store';
import { globalKeys } from '../adapters/dynamodb/items/population';
import type { TableNames } from '../contracts/tables';
import type { DynamoDbAuditLog } from '../adapters/dynamodb/dynamodb-audit-log';
import type { AuditEvent } from '../core/audit/audit-event';
import { GeoipLiteLocator } from '../adapters/geoip-lite-locator';
import { pseudonymizerFrom } from '../adapters/hmac-pseudonymizer';
import { EphemeralAppSecrets } from '../adapters/secrets-manager-app-secrets';
import { UaParserDeviceParser } from '../adapters/ua-parser-device-parser';
import { buildDecideHandler } from '../handlers/decide';
import { addressSubjectOf } from '../handlers/request-identifiers';
import type { HttpLambda } from '../handlers/http/http-handler';
import type { DecisionStore, DecisionWrite, FailureCounter, OutcomeStore } from '../ports/decision-store';
import type { AppSecretsSource } from '../ports/app-secrets';
import type { Clock } from '../ports/clock';
import type { DeviceParser } from '../ports/device-parser';
import type { GeoLocator } from '../ports/geo-locator';
import type { NetworkLocator } from '../ports/network-locator';
import type { PolicyRecord } from '../ports/policy-store';
import type { Pseudonymizer } from '../ports/pseudonymizer';
import { defaultErrorLog } from '../handlers/http/error-log';

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

/** In force while the table holds no policy at all (and during an outage before any policy was read). */
const FALLBACK_POLICY: PolicyRecord = {
  version: 0,
  policy: defaultPolicy,
  updatedAt: '',
  updatedBy: 'built-in default',
};

/** The decision API from its ports, whatever stores them: the DynamoDB composition below, or in-memory ones. */
export interface DecidePorts {
  readonly store: DecisionStore;
  readonly outcomes: OutcomeStore;
  readonly failures: FailureCounter;
  readonly geo: GeoLocator;
  readonly device: DeviceParser;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly pseudonymizer: () => Promise<Pseudonymizer>;
  readonly policies?: PolicySource;
  readonly fallbackPolicy?: PolicyRecord;
  readonly idempotency?: Idempotency;
  readonly signDecisionToken?: DecisionTokenSigner;
  readonly shadow?: ShadowScorer;
  readonly onDecision?: (decision: Decision, failedClosed: boolean) => void;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

export function decideHandlerFrom(p: DecidePorts): HttpLambda {
  const logError = p.logError ?? defaultErrorLog();
  const decide = new DecideWorkflow({
    store: p.store,
    policies: p.policies ?? new PolicyCache(),
    fallbackPolicy: p.fallbackPolicy ?? FALLBACK_POLICY,
    idempotency: p.idempotency ?? new ClientScopedIdempotency(),
    newId: p.newId,
    stepUps: new PendingStepUps(p.newId),
    logError,
    ...(p.signDecisionToken ? { signDecisionToken: p.signDecisionToken } : {}),
    ...(p.shadow ? { shadow: p.shadow } : {}),
    ...(p.onDecision ? { onDecision: p.onDecision } : {}),
  });
  return buildDecideHandler({
    decide,
    outcomes: new RecordOutcome({
      outcomes: p.outcomes,
      failures: p.failures,
      clock: p.clock,
      addressSubject: addressSubjectOf(p.pseudonymizer),
    }),
    geo: p.geo,
    device: p.device,
    clock: p.clock,
    pseudonymizer: p.pseudonymizer,
    logError,
  });
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
  readonly signDecisionToken?: DecisionTokenSigner;
  readonly shadow?: ShadowScorer;
  readonly onDecision?: DecidePorts['onDecision'];
  readonly logError?: DecidePorts['logError'];
  readonly onRoundTrip?: (kind: 'read' | 'write') => void;
  /** AS numbers for the geo of each decision; without it the familiarity model uses the address prefix. */
  readonly network?: NetworkLocator;
}

/** Builds the decide handler on DynamoDB: shared by the Lambda wiring, the local runtime and the tests. */
export function composeDecide(c: DecideComposition) {
  const store = new DynamoDbDecisionStore(c.dynamo, c.tables, {
    globalKeys,
    ...(c.auditLog ? { audit: auditParticipant(c.auditLog) } : {}),
    ...(c.onRoundTrip ? { onRoundTrip: c.onRoundTrip } : {}),
  });
  const handler = decideHandlerFrom({
    store,
    outcomes: new DynamoDbOutcomeStore(c.dynamo, c.tables),
    failures: new DynamoDbFailureCounter(c.dynamo, c.tables),
    policies: new PolicyCache(c.policyCacheMs ?? 5000),
    geo: new GeoipLiteLocator(undefined, c.network),
    device: new UaParserDeviceParser(),
    clock: c.clock,
    newId: () => randomUUID(),
    pseudonymizer: pseudonymizerFrom(c.secrets ?? new EphemeralAppSecrets((n) => randomBytes(n))),
    ...(c.signDecisionToken ? { signDecisionToken: c.signDecisionToken } : {}),
    ...(c.shadow ? { shadow: c.shadow } : {}),
    ...(c.onDecision ? { onDecision: c.onDecision } : {}),
    ...(c.logError ? { logError: c.logError } : {}),
  });
  return { handler, store };
}
