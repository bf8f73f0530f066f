import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_ROUTES } from '../contracts/routes';
import { JoseTokenVerifier } from '../adapters/jose-token-verifier';
import { tableNamesFor, type TableNames } from '../contracts/tables';
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
import { buildOpenApiDocument } from '../handlers/openapi/openapi-document';
import { LOCAL_INFO_PATH, localInfo } from './local-info';
import { localAppSecrets } from './local-app-secrets';
import type { AppSecretsSource } from '../ports/app-secrets';
import { localAnchorDir, localCheckpointDir } from './local-checkpoints';

/** How often the local runtime checkpoints the audit trail (when a chain moved), unless configured. */
const DEFAULT_CHECKPOINT_INTERVAL_SECONDS = 60;
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
  /**
   * Where the local checkpoint key and checkpoint files live. Default: a temporary folder removed on stop (tests);
   * `npm start` uses STEPGATE_DATA_DIR or `.stepgate/`.
   */
  readonly anchorDir?: string;
  /** Seconds between automatic checkpoints (0: only on demand). */
  readonly checkpointIntervalSeconds?: number;
  /** Progress of one-time work (building the ASN table on first use). */
  readonly log?: (line: string) => void;
}

/** Everything the local wiring needs to build the real handlers with local adapters. */
export interface LocalContext {
  readonly dynamo: DynamoDBClient;
  /** Where DynamoDB Local listens, for tools that read the tables directly (`stepgate audit`, via /local/info). */
  readonly dynamoEndpoint: string;
  readonly tables: TableNames;
  readonly issuer: LocalIssuer;
  readonly identities: LocalIdentities;
  readonly baseUrl: string;
  readonly now: () => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The application secret: per process, or kept in the data directory when the data is (local-app-secrets.ts). */
  readonly secrets: AppSecretsSource;
  /** The local checkpoint key and checkpoint files (see local-checkpoints.ts). */
  readonly anchorDir: string;
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
  const interval = env.STEPGATE_CHECKPOINT_INTERVAL_SECONDS;
  if (interval !== undefined && interval !== '' && !/^\d{1,7}$/.test(interval)) {
    throw new Error(`STEPGATE_CHECKPOINT_INTERVAL_SECONDS must be a whole number of seconds, got "${interval}"`);
  }
  return {
    port: port('PORT', 3000),
    dynamoPort: port('STEPGATE_DYNAMODB_PORT', 8000),
    ...(env.STEPGATE_DATA_DIR ? { dataDir: env.STEPGATE_DATA_DIR } : {}),
    anchorDir: localAnchorDir(env),
    ...(interval ? { checkpointIntervalSeconds: Number(interval) } : {}),
    env,
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const env = options.env ?? {};
  const now = options.now ?? Date.now;
  if (!(await portIsFree(options.port))) throw new PortInUseError(options.port, 'PORT');
  const temporaryAnchorDir = options.anchorDir ? undefined : await mkdtemp(path.join(tmpdir(), 'stepgate-anchor-'));
  const anchorDir = options.anchorDir ?? temporaryAnchorDir!;
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
    if (!options.dataDir && !options.dynamoEndpoint) {
      // The tables are in memory and start empty: checkpoints of a previous run anchor a trail that is gone.
      await rm(localCheckpointDir(anchorDir, tables.audit), { recursive: true, force: true });
    }
    await bootstrapTables(dynamo, tables);
    const identities = localIdentities(env);
    const baseUrl = `http://127.0.0.1:${options.port}`;
    const issuer = await LocalIssuer.create(`${baseUrl}/${identities.userPoolId}`);
    const secrets = localAppSecrets(options.dataDir);
    const network = localNetworkData(env, now(), options.log);
    const context: LocalContext = {
      dynamo,
      dynamoEndpoint: endpoint,
      tables,
      issuer,
      identities,
      baseUrl,
      now,
      env,
      secrets,
      anchorDir,
      network,
    };
    const wiring = await buildLocalHandlers(context);
    wiring.checkpoints.start((options.checkpointIntervalSeconds ?? DEFAULT_CHECKPOINT_INTERVAL_SECONDS) * 1000);
    const verifier = (...audiences: string[]) =>
      new JoseTokenVerifier({ issuer: issuer.issuer, audiences, jwks: issuer.jwks(), now });
    const gateway = new HttpGateway({
      routes: API_ROUTES,
      handlers: wiring.handlers,
      // local-script tokens count as the web client's here: that client exists so scripts can call these routes.
      authorizers: {
        app: verifier(identities.appClient.clientId),
        user: verifier(identities.webClient.clientId, identities.scriptClient.clientId),
      },
    });
    const services: LocalService[] = wiring.services;
    let openApi: Record<string, unknown> | undefined;
    const server = createServer((req, res) => {
      void route(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
        else res.end();
      });
    });
    const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const url = new URL(req.url ?? '/', baseUrl);
      if (req.method === 'GET' && url.pathname === '/health') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/openapi.json') {
        openApi ??= buildOpenApiDocument({ serverUrl: baseUrl, tokenUrl: `${baseUrl}/oauth2/token` });
        return sendJson(res, 200, openApi);
      }
      if (req.method === 'GET' && url.pathname === LOCAL_INFO_PATH) return sendJson(res, 200, localInfo(context));
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
          await wiring.checkpoints.stop();
          dynamo.destroy();
          await ddb?.stop();
          if (temporaryAnchorDir) await rm(temporaryAnchorDir, { recursive: true, force: true });
        })();
        return stopping;
      },
    };
  } catch (error) {
    dynamo.destroy();
    await ddb?.stop();
    if (temporaryAnchorDir) await rm(temporaryAnchorDir, { recursive: true, force: true });
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
