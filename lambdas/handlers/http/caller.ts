import { ForbiddenError } from './api-errors';
import type { HttpEvent } from './http-handler';

/** Who is calling, as API Gateway's JWT authorizer (or the local emulation of it) verified it. */
export interface Caller {
  /** `sub` of the token: the user's id, or the app client's id for client-credentials tokens. */
  readonly subject: string;
  readonly username?: string;
  readonly clientId?: string;
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
}

function parseGroups(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
  if (typeof raw !== 'string' || raw === '') return [];
  // API Gateway flattens array claims to "[a b]" strings in the authorizer context.
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter(Boolean);
}

export function callerOf(event: HttpEvent): Caller {
  const claims = event.requestContext.authorizer?.jwt?.claims ?? {};
  const scopeClaim = claims.scope;
  const scopes =
    event.requestContext.authorizer?.jwt?.scopes ?? (typeof scopeClaim === 'string' ? scopeClaim.split(' ') : []);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    subject: str(claims.sub) ?? 'unknown',
    username: str(claims.username) ?? str(claims['cognito:username']),
    clientId: str(claims.client_id),
    groups: parseGroups(claims['cognito:groups']),
    scopes,
  };
}

/** Group checks live in the handler: API Gateway's JWT authorizer can check scopes but not groups. */
export function requireGroup(caller: Caller, allowed: readonly string[]): void {
  if (!caller.groups.some((g) => allowed.includes(g))) {
    throw new ForbiddenError(`requires membership of ${allowed.join(' or ')}`);
  }
}
