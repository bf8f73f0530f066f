import type { Context } from 'aws-lambda';
import { API_ROUTES, routeKey, type ApiRoute } from '../../../lambdas/contracts/routes';
import { CHANGER_GROUPS, READER_GROUPS } from '../../../lambdas/contracts/identity';
import type { AdminContext } from '../../../lambdas/handlers/admin/admin-context';
import { adminRoutes } from '../../../lambdas/handlers/admin/admin-routes';
import { serveRoutes, type HttpEvent } from '../../../lambdas/handlers/http/http-handler';

const context = {} as Context;
const ADMIN = { sub: 'sub-admin', username: 'admin@example.com', 'cognito:groups': '[risk-admins]' };
const AUDITOR = { sub: 'sub-auditor', username: 'auditor@example.com', 'cognito:groups': '[risk-auditors]' };

function event(key: string, claims: Record<string, string>, body?: unknown): HttpEvent {
  return {
    version: '2.0',
    routeKey: key,
    rawPath: key.split(' ')[1]!,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: { requestId: 'req-1', authorizer: { jwt: { claims, scopes: [] } }, http: { method: 'PUT' } },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as HttpEvent;
}

/**
 * The admin routes with a context no call may reach: every request here is refused (by its group, or as bad input)
 * before a workflow runs, so a refusal that came later would throw on the empty context and answer 500.
 */
const unreachable = {} as AdminContext;

describe('serveRoutes: the route table decides who may call each route', () => {
  const put = 'PUT /v1/admin/policy';

  it('refuses an auditor on a route the table gives to admins only, before reading the body', async () => {
    const handler = serveRoutes('admin', adminRoutes(unreachable));
    const refused = await handler(event(put, AUDITOR, { policy: {}, reason: 'r' }), context);
    expect(refused).toMatchObject({ statusCode: 403 });
    // An admin gets past the group check to the body's validation (no If-Match header: 428).
    expect(await handler(event(put, ADMIN, { policy: {}, reason: 'r' }), context)).toMatchObject({ statusCode: 428 });
  });

  it('takes the groups from the table it is given, not from the handlers', async () => {
    const opened = API_ROUTES.map((r): ApiRoute => (routeKey(r) === put ? { ...r, groups: READER_GROUPS } : r));
    const handler = serveRoutes('admin', adminRoutes(unreachable), { routes: opened });
    expect(await handler(event(put, AUDITOR, { policy: {}, reason: 'r' }), context)).toMatchObject({ statusCode: 428 });
    expect(API_ROUTES.find((r) => routeKey(r) === put)?.groups).toBe(CHANGER_GROUPS);
  });

  it('answers 404 for a route key the function does not serve', async () => {
    const handler = serveRoutes('admin', adminRoutes(unreachable));
    expect(await handler(event('GET /v1/admin/audit', ADMIN), context)).toMatchObject({ statusCode: 404 });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'treats the inherited property name %s as an unknown route, not as a handler',
    async (key) => {
      const handler = serveRoutes('admin', adminRoutes(unreachable));
      const result = await handler(event(key, ADMIN), context);
      expect(result.statusCode).toBe(404);
      expect(JSON.parse(result.body!)).toEqual({
        error: { code: 'not_found', message: 'route not served by this function' },
      });
    },
  );
});
