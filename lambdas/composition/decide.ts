import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultPolicy } from '../core/policy/default-policy';
import { contextKeys } from '../core/risk/context-keys';
import type { RequestFeatures } from '../core/risk/types';
import { DynamoDbDecisionStore, type GlobalKeys, type TransactionParticipant } from '../adapters/dynamodb/dynamodb-decision-store';
import type { TableNames } from '../adapters/dynamodb/table-definitions';
import { GeoipLiteLocator } from '../adapters/geoip-lite-locator';
import { UaParserDeviceParser } from '../adapters/ua-parser-device-parser';
import { buildDecideHandler, type DecideDependencies } from '../handlers/decide';
import { PolicyCache } from '../handlers/policy-cache';
import type { DecisionWrite } from '../ports/decision-store';
import type { Clock } from '../ports/clock';

/** The population levels the familiarity model compares against (see GlobalStats). */
export function globalKeys(features: RequestFeatures): GlobalKeys {
  const keys = contextKeys(features);
  return {
    ip: keys.ip,
    prefix: keys.prefix,
    asn: keys.asn,
    country: keys.country,
    ua: keys.ua,
    browser: keys.browser,
    os: keys.os,
    deviceType: keys.deviceType,
  };
}

export interface DecideComposition {
  readonly dynamo: DynamoDBClient;
  readonly tables: TableNames;
  readonly clock: Clock;
  readonly policyCacheMs?: number;
  readonly audit?: (write: DecisionWrite) => Promise<TransactionParticipant | undefined>;
  readonly signDecisionToken?: DecideDependencies['signDecisionToken'];
  readonly shadow?: DecideDependencies['shadow'];
  readonly onDecision?: DecideDependencies['onDecision'];
  readonly onRoundTrip?: (kind: 'read' | 'write') => void;
}

/** Builds the decide handler from clients and configuration: shared by the Lambda wiring and the local runtime. */
export function composeDecide(c: DecideComposition) {
  const store = new DynamoDbDecisionStore(c.dynamo, c.tables, {
    globalKeys,
    ...(c.audit ? { audit: c.audit } : {}),
    ...(c.onRoundTrip ? { onRoundTrip: c.onRoundTrip } : {}),
  });
  const handler = buildDecideHandler({
    store,
    policyCache: new PolicyCache(c.policyCacheMs ?? 5000),
    fallbackPolicy: { version: 0, policy: defaultPolicy, updatedAt: '', updatedBy: 'built-in default' },
    geo: new GeoipLiteLocator(),
    device: new UaParserDeviceParser(),
    clock: c.clock,
    newId: () => randomUUID(),
    ...(c.signDecisionToken ? { signDecisionToken: c.signDecisionToken } : {}),
    ...(c.shadow ? { shadow: c.shadow } : {}),
    ...(c.onDecision ? { onDecision: c.onDecision } : {}),
  });
  return { handler, store };
}
