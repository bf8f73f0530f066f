import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultPolicy } from '../core/policy/default-policy';
import { DynamoDbPolicyStore } from '../adapters/dynamodb/dynamodb-policy-store';
import { composeDecide } from '../composition/decide';
import type { FunctionName } from '../handlers/api-routes';
import type { HttpLambda } from '../handlers/http/http-handler';
import type { LocalContext } from './runtime';

/** A non-Lambda endpoint of the local runtime (local Cognito, outbox): returns false when the path is not its own. */
export interface LocalService {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface LocalWiring {
  readonly handlers: Partial<Record<FunctionName, HttpLambda>>;
  readonly services: LocalService[];
}

/** The local counterpart of lambdas/wiring/*: the same compositions, with local clients and adapters. */
export async function buildLocalHandlers(ctx: LocalContext): Promise<LocalWiring> {
  const policyStore = new DynamoDbPolicyStore(ctx.dynamo, ctx.tables.policy);
  await policyStore.seedIfEmpty({
    version: defaultPolicy.version,
    policy: defaultPolicy,
    updatedAt: new Date(ctx.now()).toISOString(),
    updatedBy: 'stepgate seed',
    reason: 'default policy seeded by the local runtime',
  });
  const decide = composeDecide({ dynamo: ctx.dynamo, tables: ctx.tables, clock: ctx.now });
  return { handlers: { decide: decide.handler }, services: [] };
}
