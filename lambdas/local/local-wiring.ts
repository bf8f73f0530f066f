import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FunctionName } from '../handlers/api-routes';
import type { HttpLambda } from '../handlers/http/http-handler';
import type { LocalContext } from './runtime';

/** A non-Lambda endpoint of the local runtime (local Cognito, outbox): returns false when the path is not its own. */
export interface LocalService {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export interface LocalWiring {
  readonly handlers: Record<FunctionName, HttpLambda>;
  readonly services: LocalService[];
}

/** The local counterpart of lambdas/wiring/*: the same handler factories, with local adapters. */
export async function buildLocalHandlers(ctx: LocalContext): Promise<LocalWiring> {
  void ctx;
  throw new Error('not wired yet');
}
