import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy treats traffic. Changing the mode affects connections already open too, because the SDK keeps
 * connections alive: a fault that only hit new connections would never be seen by a warm client.
 * - `pass`: forward both ways untouched.
 * - `delay`: forward, but hold every chunk coming back from the store for `delayMs` (a slow store).
 * - `blackhole`: accept and read, never answer (a store behind a dead route or a stuck load balancer).
 * - `reset`: drop every open connection and reset new ones at once (a store that crashed).
 */
export type FaultMode =
  { kind: 'pass' } | { kind: 'delay'; delayMs: number } | { kind: 'blackhole' } | { kind: 'reset' };

export interface FaultProxy {
  readonly endpoint: string;
  readonly port: number;
  setMode(mode: FaultMode): void;
  /** Connections accepted since start: shows the client really went through the proxy. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a real server (DynamoDB Local) that injects network faults. It works below HTTP, so the
 * client under test runs its real timeout, retry and connection-pool code; nothing in the client is replaced.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  let connections = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    // A reset peer raises 'error'; the fault is the point, so it must not crash the test process.
    socket.on('error', () => undefined);
  };

  const server: Server = createServer((client) => {
    connections++;
    track(client);
    if (mode.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.on('data', (chunk: Buffer) => {
      if (mode.kind === 'blackhole') return;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const current = mode;
      if (current.kind === 'blackhole') return;
      if (current.kind === 'delay') {
        // Same delay for every chunk, so timers fire in arrival order and the byte stream stays intact.
        setTimeout(() => {
          if (!client.destroyed) client.write(chunk);
        }, current.delayMs);
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections;
    },
    setMode(next: FaultMode) {
      mode = next;
      if (next.kind === 'reset') for (const socket of open) socket.resetAndDestroy();
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `host`/`port` of an http endpoint string such as DynamoDB Local's. */
export function hostPort(endpoint: string): { host: string; port: number } {
  const url = new URL(endpoint);
  return { host: url.hostname, port: Number(url.port) };
}
