import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import { CONSOLE_PATH, consoleHeaderLines, consoleHeaderPolicy } from '../contracts/console-headers';
import type { LocalIdentities } from './local-identities';
import type { LocalService } from './local-wiring';

/** Where `npm run build:console` writes the console (gitignored). */
export const CONSOLE_DIST = path.resolve(__dirname, '..', '..', 'console', 'dist');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function consoleBuilt(dist = CONSOLE_DIST): boolean {
  return existsSync(path.join(dist, 'index.html'));
}

/**
 * Builds the console with Vite (what `npm run build:console` runs). `npm start` and the browser tests call it when
 * console/dist is missing.
 */
export async function buildConsole(): Promise<void> {
  // A child process: Vite is ESM-only, and the CLI and Jest load this module as CommonJS.
  const root = path.resolve(__dirname, '..', '..');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [vite, 'build', '--config', path.join(root, 'console', 'vite.config.mts')],
      { cwd: root, env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } },
      (error, _stdout, stderr) =>
        error ? reject(new Error(`console build failed: ${stderr.trim() || error.message}`)) : resolve(),
    );
  });
}

/**
 * Serves the built console at /console/ with the security headers CloudFront sends (one definition:
 * contracts/console-headers.ts), and its configuration at /console/config.json: the local user pool's managed
 * login endpoints and the console's client id. Hashed assets are cached for good; the page and config never.
 */
export class ConsoleStatic implements LocalService {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly options: {
      readonly baseUrl: string;
      readonly identities: LocalIdentities;
      readonly dist?: string;
    },
  ) {
    this.headers = consoleHeaderLines(consoleHeaderPolicy());
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname === '/console') {
      res.writeHead(301, { location: CONSOLE_PATH, ...this.headers });
      res.end();
      return true;
    }
    if (!url.pathname.startsWith(CONSOLE_PATH)) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      this.send(res, 405, 'text/plain; charset=utf-8', Buffer.from('method not allowed'), 'no-store');
      return true;
    }
    const rel = url.pathname.slice(CONSOLE_PATH.length);
    if (rel === 'config.json') {
      const { baseUrl, identities } = this.options;
      const config = {
        clientId: identities.consoleClient.clientId,
        authorizeUrl: `${baseUrl}/oauth2/authorize`,
        tokenUrl: `${baseUrl}/oauth2/token`,
        revokeUrl: `${baseUrl}/oauth2/revoke`,
        logoutUrl: `${baseUrl}/logout`,
        scopes: (identities.consoleClient.oauth?.scopes ?? []).join(' '),
      };
      this.send(res, 200, TYPES['.json']!, Buffer.from(JSON.stringify(config)), 'no-store');
      return true;
    }
    const dist = this.options.dist ?? CONSOLE_DIST;
    const file = path.resolve(dist, rel === '' ? 'index.html' : rel);
    // Only files inside dist: a crafted path (`..`, encoded or not) ends at 404.
    if (!file.startsWith(`${dist}${path.sep}`)) {
      this.send(res, 404, 'text/plain; charset=utf-8', Buffer.from('not found'), 'no-store');
      return true;
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      const missing = consoleBuilt(dist) ? 'not found' : 'the console is not built: run npm run build:console';
      this.send(res, 404, 'text/plain; charset=utf-8', Buffer.from(missing), 'no-store');
      return true;
    }
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = rel.startsWith('assets/');
    this.send(res, 200, type, body, immutable ? 'public, max-age=31536000, immutable' : 'no-cache', method === 'HEAD');
    return true;
  }

  private send(res: ServerResponse, status: number, type: string, body: Buffer, cache: string, head = false): void {
    res.writeHead(status, {
      ...this.headers,
      'content-type': type,
      'content-length': body.length,
      'cache-control': cache,
    });
    res.end(head ? undefined : body);
  }
}
