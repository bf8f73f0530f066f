import { ADMIN_ROUTE_KEYS } from '../../../lambdas/handlers/admin-api';
import { API_ROUTES, routeKey } from '../../../lambdas/contracts/routes';

describe('admin routes', () => {
  it('are exactly the routes the admin handler serves, all behind the user-pool authorizer', () => {
    const admin = API_ROUTES.filter((r) => r.fn === 'admin');
    expect(admin.map(routeKey).sort()).toEqual([...ADMIN_ROUTE_KEYS].sort());
    for (const route of admin) expect(route).toMatchObject({ authorizer: 'user', scopes: [] });
  });
});
