/**
 * Every HTTP route of stepgate, defined once: the CDK API constructs and the local API Gateway emulation both
 * build their routes from this list, so authorization (authorizer + scopes) cannot drift between them.
 */
export type FunctionName = 'decide' | 'admin' | 'audit';

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  readonly fn: FunctionName;
  /** `app`: client-credentials tokens of app backends; `user`: user-pool sign-in tokens (groups checked in handler). */
  readonly authorizer: 'app' | 'user';
  readonly scopes: readonly string[];
}

export const DECIDE_SCOPE = 'stepgate/decide';

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/v1/decisions', fn: 'decide', authorizer: 'app', scopes: [DECIDE_SCOPE] },
  { method: 'POST', path: '/v1/decisions/{decisionId}/outcome', fn: 'decide', authorizer: 'app', scopes: [DECIDE_SCOPE] },
];

export function routeKey(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
