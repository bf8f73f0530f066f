import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_ROUTES } from '../handlers/api-routes';
import { JoseTokenVerifier } from '../adapters/jose-token-verifier';
import { tableNamesFor, type TableNames } from '../adapters/dynamodb/table-definitions';
import { bootstrapTables } from './bootstrap-tables';
import {
  localClientConfig,
  PortInUseError,
  portIsFree,
  startDynamoDbLocal,
  type DynamoDbLocalHandle,
} from './dynamodb-local';
import { HttpGateway, sendJson } from './http-gateway';
import { localIdentities, type LocalIdentities } from './local-identities';
import { LocalIssuer } from './local-issuer';
import { handleTokenRequest } from './token-endpoint';
import { buildLocalHandlers, type LocalService } from './local-wiring';
import { localNetworkData } from './local-network-data';
import type { NetworkDataStatus } from '../composition/network-data';

export interface LocalRuntimeOptions {
  readonly port: number;
  readonly dynamoPort: number;
  readonly dataDir?: string;
  /** Reuse an already running DynamoDB Local (tests) instead of starting one. */
  readonly dynamoEndpoint?: string;
  readonly tablePrefix?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
  /** Progress of one-time work (building the ASN table on first use). */
  readonly log?: (line: string) => void;
}

/** Everything the local wiring needs to build the real handlers with local adapters. */
export interface LocalContext {
  readonly dynamo: DynamoDBClient;
  readonly tables: TableNames;
  readonly issuer: LocalIssuer;
  readonly identities: LocalIdentities;
  readonly baseUrl: string;
  readonly now: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The ASN table decisions are scored with (STEPGATE_NETWORK_DATA, default: built from the installed package). */
  readonly network: NetworkDataStatus;
}

export interface LocalRuntime {
  readonly url: string;
  readonly context: LocalContext;
  readonly dynamoPid: number | undefined;
  stop(): Promise<void>;
}

export function runtimeOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): LocalRuntimeOptions {
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new Error(`${name} must be a port number (1-65535), got "${raw}"`);
    return n;
  };
  return {
    port: port('PORT', 3000),
    dynamoPort: port('STEPGATE_DYNAMODB_PORT', 8000),
    ...(env.STEPGATE_DATA_DIR ? { dataDir: env.STEPGATE_DATA_DIR } : {}),
    env,
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const env = options.env ?? {};
  const now = options.now ?? Date.now;
  if (!(await portIsFree(options.port))) throw new PortInUseError(options.port, 'PORT');
  let ddb: DynamoDbLocalHandle | undefined;
  const endpoint =
    options.dynamoEndpoint ??
    (ddb = await startDynamoDbLocal({
      port: options.dynamoPort,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    })).endpoint;
  const dynamo = new DynamoDBClient(localClientConfig(endpoint));
  try {
    const tables = tableNamesFor(options.tablePrefix ?? 'stepgate-local');
    await bootstrapTables(dynamo, tables);
    const identities = localIdentities(env);
    const baseUrl = `http://127.0.0.1:${options.port}`;
    const issuer = await LocalIssuer.create(`${baseUrl}/${identities.userPoolId}`);
    const network = localNetworkData(env, now(), options.log);
    const context: LocalContext = { dynamo, tables, issuer, identities, baseUrl, now, env, network };
    const wiring = await buildLocalHandlers(context);
    const verifier = (audience: string) =>
      new JoseTokenVerifier({ issuer: issuer.issuer, audiences: [audience], jwks: issuer.jwks(), now });
    const gateway = new HttpGateway({
      routes: API_ROUTES,
      handlers: wiring.handlers,
      authorizers: { app: verifier(identities.appClient.clientId), user: verifier(identities.webClient.clientId) },
    });
    const services: LocalService[] = wiring.services;
    const server = createServer((req, res) => {
      void route(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
        else res.end();
      });
    });
    const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', baseUrl);
      if (req.method === 'GET' && url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && /^(\/[\w-]+)?\/\.well-known\/jwks\.json$/.test(url.pathname)) {
        return sendJson(res, 200, issuer.jwks());
      }
      if (req.method === 'POST' && url.pathname === '/oauth2/token') {
        return handleTokenRequest(req, res, issuer, identities, Math.floor(now() / 1000));
      }
      if (await gateway.handle(req, res, url)) return;
      for (const service of services) if (await service.handle(req, res, url)) return;
      sendJson(res, 404, { message: 'Not Found' });
    };
    await listen(server, options.port);
    let stopping: Promise<void> | undefined;
    return {
      url: baseUrl,
      context,
      dynamoPid: ddb?.pid,
      stop() {
        stopping ??= (async () => {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          dynamo.destroy();
          await ddb?.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    dynamo.destroy();
    await ddb?.stop();
    throw error;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'PORT') : error),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
}
