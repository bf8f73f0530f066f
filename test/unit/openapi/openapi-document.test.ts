import { execFileSync } from 'node:child_process';
import type { AdminContext } from '../../../lambdas/handlers/admin/admin-context';
import { adminRoutes } from '../../../lambdas/handlers/admin/admin-routes';
import { putPolicyBody } from '../../../lambdas/handlers/admin/policy-routes';
import type { TotpEnrolmentDependencies } from '../../../lambdas/application/authenticators/totp-enrolment';
import { API_ROUTES, routeKey, type ApiRoute } from '../../../lambdas/contracts/routes';
import { decisionBody } from '../../../lambdas/handlers/decide';
import { buildOpenApiDocument, jsonSchemaOf, OPERATIONS } from '../../../lambdas/handlers/openapi/openapi-document';
import { totpRoutes } from '../../../lambdas/handlers/totp/totp-routes';

const OPTIONS = { serverUrl: 'http://127.0.0.1:3000', tokenUrl: 'http://127.0.0.1:3000/oauth2/token' };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is plain JSON read by path
type Doc = any;

/**
 * Validates with @seriousme/openapi-schema-validator (the OpenAPI Initiative's JSON Schemas for 3.0/3.1, on Ajv).
 * It is an ES module that reads its schema files relative to itself, so it runs in a child Node process rather than
 * through Jest's CommonJS transform.
 */
function validate(doc: unknown): { valid: boolean; errors?: unknown; version?: string } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(text));
    process.stdout.write(JSON.stringify({ ...result, version: validator.version }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
  });
  return JSON.parse(out) as { valid: boolean; errors?: unknown; version?: string };
}

describe('the OpenAPI 3.1 document', () => {
  const doc: Doc = buildOpenApiDocument(OPTIONS);
  const operations = Object.entries(doc.paths as Record<string, Record<string, Doc>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
  );

  it('has exactly one operation per route of the route table, and no other', () => {
    expect(operations.map((o) => o.key).sort()).toEqual(API_ROUTES.map(routeKey).sort());
    expect(Object.keys(OPERATIONS).sort()).toEqual(API_ROUTES.map(routeKey).sort());
    // The handlers' own route lists are in the table, so they are in the document too.
    // Building the bindings reads nothing from the dependencies: they are used only when a route is called.
    const served = [
      ...Object.keys(adminRoutes({} as AdminContext)),
      ...Object.keys(totpRoutes({} as TotpEnrolmentDependencies)),
    ];
    for (const key of served) expect(OPERATIONS).toHaveProperty([key]);
  });

  it('refuses to build when a route is added without an operation, or an operation outlives its route', () => {
    const added: ApiRoute = { method: 'GET', path: '/v1/admin/new-thing', fn: 'admin', authorizer: 'user', scopes: [] };
    expect(() => buildOpenApiDocument({ ...OPTIONS, routes: [...API_ROUTES, added] })).toThrow(
      /no operation for \[GET \/v1\/admin\/new-thing\]/,
    );
    expect(() => buildOpenApiDocument({ ...OPTIONS, routes: API_ROUTES.slice(1) })).toThrow(
      new RegExp(`no route for \\[${routeKey(API_ROUTES[0]!).replace(/[/{}]/g, '\\$&')}\\]`),
    );
  });

  it('validates as OpenAPI 3.1, and the validator does reject a broken document', () => {
    expect(validate(doc)).toEqual({ valid: true, version: '3.1' });
    const broken = structuredClone(doc);
    broken.paths['/v1/decisions'].post.responses = { 200: { content: {} } }; // a response needs a description
    expect(validate(broken).valid).toBe(false);
  });

  it('gives every operation a unique id, its authorizer as security, and its path parameters', () => {
    const ids = operations.map((o) => String(o.op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()] as {
        security: unknown;
        parameters?: { name: string; in: string }[];
        responses: Record<string, { headers?: Record<string, unknown> }>;
      };
      expect(op.security).toEqual([route.authorizer === 'app' ? { appToken: route.scopes } : { userToken: [] }]);
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? []).toEqual(pathParams);
      expect(op.responses['401']?.headers?.['www-authenticate']).toBeDefined();
    }
  });

  it('describes request bodies with the very schemas the handlers validate', () => {
    expect(doc.paths['/v1/decisions'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/DecisionRequest',
    });
    const request = doc.components.schemas.DecisionRequest;
    expect(request).toMatchObject({
      type: 'object',
      required: ['userId', 'action', 'context'],
      additionalProperties: false,
    });
    expect(Object.keys(request.properties).sort()).toEqual(Object.keys(decisionBody.shape).sort());
    expect(request.properties.context.properties.userAgent.description).toMatch(/device\.ua_missing/);
    const put = doc.paths['/v1/admin/policy'].put;
    expect(put.requestBody.content['application/json'].schema).toMatchObject(jsonSchemaOf(putPolicyBody));
    expect(put.parameters).toEqual([expect.objectContaining({ name: 'if-match', in: 'header', required: true })]);
  });

  it('describes the decision answer and the error answers', () => {
    const ok = doc.paths['/v1/decisions'].post.responses['200'].content['application/json'].schema;
    expect(ok).toEqual({ $ref: '#/components/schemas/DecisionResponse' });
    expect(doc.components.schemas.DecisionResponse.properties.decision.enum).toEqual(['allow', 'step_up', 'deny']);
    const bad = doc.paths['/v1/decisions'].post.responses['400'].content['application/json'].schema;
    expect(bad).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    expect(doc.paths['/v1/decisions'].post.responses['403'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/GatewayError',
    });
  });
});
