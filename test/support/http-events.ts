import type { HttpEvent } from '../../lambdas/handlers/http/http-handler';

/** A payload v2 event for POST /v1/decisions, as API Gateway passes it after the app client's JWT was verified. */
export function decisionEvent(body: unknown, clientId = 'local-app'): HttpEvent {
  return {
    version: '2.0',
    routeKey: 'POST /v1/decisions',
    rawPath: '/v1/decisions',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      authorizer: { jwt: { claims: { sub: clientId, client_id: clientId }, scopes: ['stepgate/decide'] } },
      http: { method: 'POST', path: '/v1/decisions' },
      routeKey: 'POST /v1/decisions',
    },
  } as unknown as HttpEvent;
}
