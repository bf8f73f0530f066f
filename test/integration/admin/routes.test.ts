import { ADMIN_ROUTE_KEYS } from '../../../lambdas/handlers/admin-api';
import { CONSOLE_ADMIN_ROUTE_KEYS } from '../../../lambdas/handlers/console-read-routes';
import { API_ROUTES, routeKey } from '../../../lambdas/contracts/routes';

describe('admin routes', () => {
  it('are exactly the routes the admin handler serves (with the console reads), all behind the staff authorizer', () => {
    const admin = API_ROUTES.filter((r) => r.fn === 'admin');
    expect(admin.map(routeKey).sort()).toEqual([...ADMIN_ROUTE_KEYS, ...CONSOLE_ADMIN_ROUTE_KEYS].sort());
    for (const route of admin) expect(route).toMatchObject({ authorizer: 'staff', scopes: [] });
  });
});
