import type { Context } from 'aws-lambda';
import { json, type HttpEvent, type HttpLambda } from '../../../lambdas/handlers/http/http-handler';
import { routeDispatcher } from '../../../lambdas/handlers/http/route-dispatch';

const event = (routeKey: string) => ({ routeKey }) as HttpEvent;
const context = {} as Context;
const answering =
  (name: string): HttpLambda =>
  () =>
    Promise.resolve(json(200, { route: name }));

describe('routeDispatcher', () => {
  const dispatch = routeDispatcher({
    'POST /v1/things': answering('create'),
    'GET /v1/things/{id}': answering('read'),
  });

  it('hands each route key to its own handler', async () => {
    expect(JSON.parse((await dispatch(event('POST /v1/things'), context)).body!)).toEqual({ route: 'create' });
    expect(JSON.parse((await dispatch(event('GET /v1/things/{id}'), context)).body!)).toEqual({ route: 'read' });
  });

  it('answers 404 in the API error shape for a route the function does not serve', async () => {
    const result = await dispatch(event('DELETE /v1/things/{id}'), context);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body!)).toEqual({
      error: { code: 'not_found', message: 'route not served by this function' },
    });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'treats the inherited property name %s as an unknown route, not as a handler',
    async (routeKey) => {
      expect((await dispatch(event(routeKey), context)).statusCode).toBe(404);
    },
  );
});
