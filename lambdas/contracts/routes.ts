/**
 * Every HTTP route of stepgate, defined once, as plain data: the CDK API constructs, the local API Gateway
 * emulation, the OpenAPI document and each Lambda's route binding are all derived from this table, so a route's
 * authorization (authorizer + scopes, and the staff groups its handler checks) cannot drift between them.
 *
 * This module is imported by the CDK app: it must stay data, importing nothing but other contract modules.
 */
import { CHANGER_GROUPS, DECIDE_SCOPE, READER_GROUPS } from './identity';

export { DECIDE_SCOPE };

export type FunctionName = 'decide' | 'admin' | 'audit' | 'totp';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRoute {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  readonly fn: FunctionName;
  /** `app`: client-credentials tokens of app backends; `user`: user-pool sign-in tokens. */
  readonly authorizer: 'app' | 'user';
  /** Checked by the JWT authorizer (API Gateway, or the local gateway). */
  readonly scopes: readonly string[];
  /**
   * Who may call it: the caller must be in one of these user-pool groups. The JWT authorizer cannot check groups,
   * so the shared HTTP handler does, before it parses the body. Empty or absent: any caller the authorizer admits
   * (app routes, and the signed-in user's own routes).
   */
  readonly groups?: readonly string[];
}

/** An app backend's route: a client-credentials token with the decide scope. */
const appRoute = <M extends HttpMethod, P extends string>(method: M, path: P) =>
  ({ method, path, fn: 'decide', authorizer: 'app', scopes: [DECIDE_SCOPE], groups: [] }) as const;

/** A security-staff route: a user-pool token of a member of `groups`. */
const staffRoute = <F extends FunctionName, M extends HttpMethod, P extends string>(
  fn: F,
  method: M,
  path: P,
  groups: readonly string[],
) => ({ method, path, fn, authorizer: 'user', scopes: [], groups }) as const;

/** The signed-in user's own settings: any user-pool token; the handler keys the data by the token's username. */
const ownRoute = <F extends FunctionName, M extends HttpMethod, P extends string>(fn: F, method: M, path: P) =>
  ({ method, path, fn, authorizer: 'user', scopes: [], groups: [] }) as const;

/** risk-auditors and risk-admins read; only risk-admins change. */
const READERS = READER_GROUPS;
const CHANGERS = CHANGER_GROUPS;

const ROUTES = [
  appRoute('POST', '/v1/decisions'),
  appRoute('POST', '/v1/decisions/{decisionId}/outcome'),
  // The audit trail: export and verify.
  staffRoute('audit', 'GET', '/v1/admin/audit', READERS),
  staffRoute('audit', 'GET', '/v1/admin/audit/verify', READERS),
  // TOTP enrolment of the signed-in user.
  ownRoute('totp', 'POST', '/v1/step-up/totp/enroll'),
  ownRoute('totp', 'POST', '/v1/step-up/totp/confirm'),
  ownRoute('totp', 'POST', '/v1/step-up/totp/remove'),
  // Tuning: policy versions, approval, simulation, shadow mode, recorded decisions and their labels.
  staffRoute('admin', 'GET', '/v1/admin/policy', READERS),
  staffRoute('admin', 'PUT', '/v1/admin/policy', CHANGERS),
  staffRoute('admin', 'GET', '/v1/admin/policy/versions', READERS),
  staffRoute('admin', 'GET', '/v1/admin/policy/versions/{version}', READERS),
  staffRoute('admin', 'GET', '/v1/admin/policy/diff', READERS),
  staffRoute('admin', 'GET', '/v1/admin/policy/pending', READERS),
  staffRoute('admin', 'POST', '/v1/admin/policy/pending/{version}/approve', CHANGERS),
  staffRoute('admin', 'POST', '/v1/admin/policy/pending/{version}/reject', CHANGERS),
  staffRoute('admin', 'POST', '/v1/admin/policy/simulate', READERS),
  staffRoute('admin', 'GET', '/v1/admin/shadow', READERS),
  staffRoute('admin', 'POST', '/v1/admin/shadow', CHANGERS),
  staffRoute('admin', 'POST', '/v1/admin/shadow/stop', CHANGERS),
  staffRoute('admin', 'GET', '/v1/admin/shadow/report', READERS),
  staffRoute('admin', 'GET', '/v1/admin/users/{userId}/events', READERS),
  staffRoute('admin', 'GET', '/v1/admin/events', READERS),
  staffRoute('admin', 'GET', '/v1/admin/events/{decisionId}', READERS),
  staffRoute('admin', 'POST', '/v1/admin/events/{decisionId}/feedback', CHANGERS),
] as const satisfies readonly ApiRoute[];

export const API_ROUTES: readonly ApiRoute[] = ROUTES;

type KeyOf<R> = R extends { readonly method: infer M extends string; readonly path: infer P extends string }
  ? `${M} ${P}`
  : never;

/** `POST /v1/decisions`: how API Gateway names a route in `event.routeKey`. */
export type RouteKey = KeyOf<(typeof ROUTES)[number]>;

/** The route keys of one function: the keys of the map that binds its handlers. */
export type RouteKeyOf<F extends FunctionName> = KeyOf<Extract<(typeof ROUTES)[number], { readonly fn: F }>>;

export function routeKey(route: Pick<ApiRoute, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** The routes `fn` serves, in table order. */
export function routesOf(fn: FunctionName, routes: readonly ApiRoute[] = API_ROUTES): readonly ApiRoute[] {
  return routes.filter((r) => r.fn === fn);
}
