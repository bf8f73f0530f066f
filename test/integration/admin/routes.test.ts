import { API_ROUTES, routeKey, type ApiRoute } from '../../../lambdas/contracts/routes';
import { CHANGER_GROUPS, READER_GROUPS } from '../../../lambdas/contracts/identity';
import type { AdminContext } from '../../../lambdas/handlers/admin/admin-context';
import { adminRoutes } from '../../../lambdas/handlers/admin/admin-routes';
import { serveRoutes } from '../../../lambdas/handlers/http/http-handler';

// Building the route bindings reads nothing from the context: the ports are only used when a route is called.
const handlers = adminRoutes({} as AdminContext);
const admin = API_ROUTES.filter((r) => r.fn === 'admin');

describe('admin routes', () => {
  it('are exactly the routes the admin handler serves, all behind the user-pool authorizer and a staff group', () => {
    expect(admin.map(routeKey).sort()).toEqual(Object.keys(handlers).sort());
    for (const route of admin) {
      expect(route).toMatchObject({ authorizer: 'user', scopes: [] });
      expect([READER_GROUPS, CHANGER_GROUPS]).toContain(route.groups);
    }
  });

  it('only admins change: every route that writes is for the changer groups', () => {
    const writes = admin.filter((r) => r.method !== 'GET' && r.path !== '/v1/admin/policy/simulate');
    expect(writes.length).toBeGreaterThan(0);
    for (const route of writes) expect(route.groups).toBe(CHANGER_GROUPS);
  });

  it('refuse to serve when the table and the handlers disagree', () => {
    const extra: ApiRoute = { method: 'GET', path: '/v1/admin/new-thing', fn: 'admin', authorizer: 'user', scopes: [] };
    expect(() => serveRoutes('admin', handlers, { routes: [...API_ROUTES, extra] })).toThrow(
      /no handler for \[GET \/v1\/admin\/new-thing\]/,
    );
    const without = API_ROUTES.filter((r) => routeKey(r) !== 'GET /v1/admin/shadow');
    expect(() => serveRoutes('admin', handlers, { routes: without })).toThrow(
      /no table entry for \[GET \/v1\/admin\/shadow\]/,
    );
    expect(() => serveRoutes('admin', handlers)).not.toThrow();
  });
});
