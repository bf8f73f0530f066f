import { accessToken } from './auth';

/** An answer of the admin API other than 2xx: its `{"error": {code, message, field}}` body, or the gateway's. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ApiOptions {
  readonly method?: 'GET' | 'POST' | 'PUT';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Calls the admin API on the console's own origin with the in-memory access token. */
export async function raw(path: string, options: ApiOptions = {}): Promise<RawAnswer> {
  const token = accessToken();
  if (!token) throw new ApiError(401, 'signed_out', 'signed out: sign in again');
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    credentials: 'omit',
    cache: 'no-store',
  });
  const text = await response.text();
  if (!response.ok) {
    let parsed: { error?: { code?: string; message?: string; field?: string }; message?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not JSON: reported by status below
    }
    const error = parsed.error ?? {};
    throw new ApiError(
      response.status,
      error.code ?? (response.status === 403 ? 'forbidden' : 'http_error'),
      error.message ?? parsed.message ?? `HTTP ${response.status}`,
      error.field,
      parsed.error ?? {},
    );
  }
  return { status: response.status, headers: response.headers, text };
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const answer = await raw(path, options);
  return (answer.text === '' ? undefined : JSON.parse(answer.text)) as T;
}

export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as [string, string][];
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}`;
}
