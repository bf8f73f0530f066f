import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from '../cli';
import { parsePolicy, type Policy } from '../../lambdas/core/policy/policy-schema';
import { renderReportHtml } from '../../lambdas/core/simulation/report-html';
import { renderReportText } from '../../lambdas/core/simulation/report-text';
import type { SimulationReport } from '../../lambdas/core/simulation/simulation';
import { request, stackUrl, URL_HELP } from './stack';

/**
 * What the admin commands (policy, simulate, shadow, events, feedback) share: connection options, a small HTTP
 * client for the admin API, and report output.
 *
 * Connection: `--url` (or STEPGATE_URL, the setting every command shares; default the local runtime) and a
 * user-pool access token from `--token` or STEPGATE_TOKEN. Against the local runtime, `--user admin@example.com`
 * signs in through the local Cognito with `--password` or STEPGATE_PASSWORD, on the local-only `local-script` client
 * (USER_PASSWORD_AUTH; the web client, like the deployed one, allows no password-only flow). Tokens are never
 * printed.
 */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'client-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_HELP = `connection:
${URL_HELP}
  --token <jwt>        user-pool access token of a risk-admins / risk-auditors member (default $STEPGATE_TOKEN)
  --user <name>        local runtime only: sign in through the local Cognito instead of --token
  --password <pw>      with --user (default $STEPGATE_PASSWORD)
  --client-id <id>     with --user: the local app client that allows USER_PASSWORD_AUTH (default local-script)`;

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`, 2);
  }
}

export interface Connection {
  readonly url: string;
  readonly token: string;
}

export async function connect(
  values: { url?: string; token?: string; user?: string; password?: string; 'client-id'?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const url = stackUrl(values, env);
  if (values.token ?? env.STEPGATE_TOKEN) return { url, token: (values.token ?? env.STEPGATE_TOKEN)! };
  if (values.user) {
    const password = values.password ?? env.STEPGATE_PASSWORD;
    if (!password) throw new CliError('--user needs --password (or STEPGATE_PASSWORD)', 2);
    return { url, token: await signIn(url, values['client-id'] ?? 'local-script', values.user, password) };
  }
  throw new CliError(
    'not signed in: pass --token (or set STEPGATE_TOKEN), or --user/--password for the local runtime',
    2,
  );
}

/** Cognito's USER_PASSWORD_AUTH over its JSON wire protocol, as the local runtime's Cognito emulator speaks it. */
async function signIn(url: string, clientId: string, username: string, password: string): Promise<string> {
  const res = await request(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    AuthenticationResult?: { AccessToken?: string };
    message?: string;
  };
  const token = body.AuthenticationResult?.AccessToken;
  if (res.status !== 200 || !token) {
    throw new CliError(`sign-in as ${username} failed: ${body.message ?? `HTTP ${res.status}`}`);
  }
  return token;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Calls the admin API; a non-2xx answer becomes a CliError with the API's message (naming the field). */
export async function api<T>(
  conn: Connection,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string | undefined> } = {},
): Promise<ApiResponse<T>> {
  const url = new URL(`${conn.url}${path}`);
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const res = await request(url.toString(), {
    method,
    headers: {
      authorization: `Bearer ${conn.token}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.headers ?? {}),
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  if (res.status >= 200 && res.status < 300) return { status: res.status, body: body as T, headers: res.headers };
  if (res.status === 401) {
    // API Gateway's JWT authorizer (and the local runtime) say why in www-authenticate.
    const why = /error_description="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    throw new CliError(`the API refused the token (401): ${why ?? 'it is missing, expired or for another pool'}`);
  }
  const error = (body as { error?: { message?: string }; message?: string } | undefined) ?? {};
  const message = error.error?.message ?? error.message ?? String(text).slice(0, 200);
  throw new CliError(`${method} ${path}: ${res.status} ${message}`);
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${path}: not JSON (${(error as Error).message})`);
  }
}

/** A policy document from a file, as an object (the API validates it; offline commands validate it here). */
export async function readPolicyFile(path: string): Promise<Record<string, unknown>> {
  const doc = await readJsonFile(path, 'policy');
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError(`${path}: not a JSON object`);
  // `stepgate policy get --out` writes the document itself; accept the API's envelope too.
  const envelope = doc as { policy?: unknown; version?: unknown };
  if (typeof envelope.policy === 'object' && envelope.policy !== null && typeof envelope.version === 'number') {
    return envelope.policy as Record<string, unknown>;
  }
  return doc as Record<string, unknown>;
}

export function validatePolicy(doc: Record<string, unknown>, path: string): Policy {
  const parsed = parsePolicy({ version: 1, ...doc });
  if (parsed.ok) return parsed.policy;
  const lines = parsed.issues.slice(0, 10).map((i) => `  ${i.path || '(document)'}: ${i.message}`);
  throw new CliError(`${path}: invalid policy\n${lines.join('\n')}`);
}

export async function writeReportFiles(
  report: SimulationReport,
  options: { html?: string; json?: string; title: string; facts?: [string, string][] },
): Promise<void> {
  if (options.json) await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
  if (options.html) {
    await writeFile(
      options.html,
      renderReportHtml(report, { title: options.title, ...(options.facts ? { facts: options.facts } : {}) }),
    );
  }
}

export function printReport(report: SimulationReport, title: string, changed?: number): void {
  console.log(renderReportText(report, { title, ...(changed !== undefined ? { changedEvents: changed } : {}) }));
}

export function int(value: string | undefined, name: string, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new CliError(`--${name}: must be a whole number`, 2);
  return Number(value);
}
