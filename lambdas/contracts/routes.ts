/**
 * Every HTTP route of stepgate, defined once: the CDK API constructs and the local API Gateway emulation both
 * build their routes from this list, so authorization (authorizer + scopes) cannot drift between them.
 */
import { DECIDE_SCOPE } from './identity';

export { DECIDE_SCOPE };

export type FunctionName = 'decide' | 'admin' | 'audit' | 'totp';

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  readonly fn: FunctionName;
  /** `app`: client-credentials tokens of app backends; `user`: user-pool sign-in tokens (groups checked in handler). */
  readonly authorizer: 'app' | 'user';
  readonly scopes: readonly string[];
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/v1/decisions', fn: 'decide', authorizer: 'app', scopes: [DECIDE_SCOPE] },
  {
    method: 'POST',
    path: '/v1/decisions/{decisionId}/outcome',
    fn: 'decide',
    authorizer: 'app',
    scopes: [DECIDE_SCOPE],
  },
  // Groups (risk-auditors, risk-admins) are checked in the handler: the JWT authorizer cannot check groups.
  { method: 'GET', path: '/v1/admin/audit', fn: 'audit', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/audit/verify', fn: 'audit', authorizer: 'user', scopes: [] },
  // TOTP enrolment of the signed-in user (user-pool access token; the handler keys it by the token's username).
  { method: 'POST', path: '/v1/step-up/totp/enroll', fn: 'totp', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/step-up/totp/confirm', fn: 'totp', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/step-up/totp/remove', fn: 'totp', authorizer: 'user', scopes: [] },
  // Tuning (DESIGN §7): risk-admins change, risk-auditors read; groups are checked in the admin handler.
  { method: 'GET', path: '/v1/admin/policy', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'PUT', path: '/v1/admin/policy', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/policy/versions', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/policy/versions/{version}', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/policy/diff', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/policy/pending', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/policy/pending/{version}/approve', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/policy/pending/{version}/reject', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/policy/simulate', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/shadow', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/shadow', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/shadow/stop', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/shadow/report', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/users/{userId}/events', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/events', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'GET', path: '/v1/admin/events/{decisionId}', fn: 'admin', authorizer: 'user', scopes: [] },
  { method: 'POST', path: '/v1/admin/events/{decisionId}/feedback', fn: 'admin', authorizer: 'user', scopes: [] },
];

export function routeKey(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}
