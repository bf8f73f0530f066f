import { json, type HttpLambda } from './http-handler';

const NOT_SERVED = { error: { code: 'not_found', message: 'route not served by this function' } };

/**
 * One Lambda that serves several routes: the handler registered for the event's `routeKey`, else 404. The gateway
 * sends a function only its own routes, so the 404 answers a route table that disagrees with the function (or a
 * local caller that made one up); it never falls through to another route. Only own keys count, so a route key
 * such as `constructor` or `__proto__` cannot reach an inherited property.
 */
export function routeDispatcher(routes: Readonly<Record<string, HttpLambda>>): HttpLambda {
  return (event, context) => {
    const handler = Object.hasOwn(routes, event.routeKey) ? routes[event.routeKey] : undefined;
    return handler ? handler(event, context) : Promise.resolve(json(404, NOT_SERVED));
  };
}
