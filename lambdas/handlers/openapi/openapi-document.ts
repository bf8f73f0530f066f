import { z } from 'zod';
import { policySchema } from '../../core/policy/policy-schema';
import { feedbackBody } from '../admin/feedback-routes';
import { putPolicyBody, reviewBody } from '../admin/policy-routes';
import { shadowStartBody, shadowStopBody } from '../admin/shadow-routes';
import { simulateBody } from '../admin/simulation-routes';
import { API_ROUTES, DECIDE_SCOPE, routeKey, type ApiRoute } from '../../contracts/routes';
import { decisionBody, outcomeBody } from '../decide';
import { changeBody, confirmBody } from '../totp/totp-routes';
import {
  apiErrorSchema,
  auditVerifyResponseSchema,
  decisionResponseSchema,
  gatewayErrorSchema,
  outcomeResponseSchema,
} from './response-schemas';

/**
 * The OpenAPI 3.1 description of every route in API_ROUTES. Request bodies are generated from the very zod schemas
 * the handlers validate with (zod's JSON Schema output is draft 2020-12, the dialect of OpenAPI 3.1), so the
 * document cannot promise a field the API refuses. A route without an entry in OPERATIONS, or an entry without a
 * route, fails the tests.
 */

type JsonSchema = Record<string, unknown>;

interface Parameter {
  readonly schema: z.ZodType;
  readonly description: string;
  readonly required?: boolean;
}

interface Response {
  readonly description: string;
  /** A zod schema (JSON), or a media type and its JSON Schema for non-JSON answers. */
  readonly body?: z.ZodType | { readonly mediaType: string; readonly schema: JsonSchema };
  readonly headers?: Readonly<Record<string, string>>;
}

export interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'decisions' | 'policy' | 'shadow' | 'events' | 'audit' | 'step-up';
  /** The schema the handler validates the JSON body with. */
  readonly body?: z.ZodType;
  /** Descriptions of body fields by dotted path (`context.ip`), added to the generated schema. */
  readonly fields?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, Parameter>>;
  readonly headers?: Readonly<Record<string, Parameter>>;
  readonly responses: Readonly<Record<number, Response>>;
}

const isoTime = z.iso.datetime({ offset: true });
const cursor: Parameter = { schema: z.string(), description: 'the cursor of the previous page, to continue' };
const window = {
  from: { schema: isoTime, description: 'start of the window (default: `to` minus 7 days)' },
  to: { schema: isoTime, description: 'end of the window (default: now)' },
} as const;

const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  decisionId: 'the `decisionId` of a decision answer',
  version: 'a policy version number',
  userId: 'the `userId` the app sent with its decisions',
};

const invalid: Response = { description: 'bad input: the message and `field` name the problem', body: apiErrorSchema };
const forbiddenGroup: Response = {
  description: 'the signed-in user is in neither group that may call this route',
  body: apiErrorSchema,
};
const notFound: Response = { description: 'no such item', body: apiErrorSchema };
const conflict: Response = { description: 'conflicts with the current state (see message)', body: apiErrorSchema };
const object = (description: string): Response => ({ description, body: z.looseObject({}) });
const chunked = (what: string): Response =>
  object(
    `${what}, one chunk: while \`complete\` is false, send \`cursor\` back for the next chunk and merge the reports`,
  );

export const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'POST /v1/decisions': {
    operationId: 'createDecision',
    tag: 'decisions',
    summary: 'Allow, step up or deny: score one user doing one action',
    description:
      'Scores the request on device, geo, velocity and action sensitivity against the user history; every point ' +
      'of the score is explained in `reasons`. A `step_up` answer carries the step-up to run through Cognito.',
    body: decisionBody,
    fields: {
      userId: 'the user, as the app and Cognito know them (the username)',
      action: "an action of the policy's catalogue, e.g. payment.transfer (an unknown action is a 400)",
      sessionId: "binds a step-up to the app's session",
      'context.ip': 'the client IP the app saw: IPv4 or IPv6',
      'context.userAgent': "the client's user agent (without it: reason device.ua_missing)",
      'context.deviceId': 'a stable device id (cookie, app install id)',
      'context.timestamp': 'when it happened; default now; accepted within [now - 24 h, now + 5 min]',
      stepUpId: 'a passed step-up to redeem: turns a step_up answer into allow (step_up.satisfied)',
      requestId: 'idempotency key (per app client, 24 h): a retry gets the first answer back',
    },
    responses: {
      200: {
        description: 'the decision, its score and every reason behind it',
        body: decisionResponseSchema,
        headers: {
          'idempotent-replay': '`true` when this is the stored answer to an earlier request with the same `requestId`',
        },
      },
      400: invalid,
      409: { description: 'the `requestId` was used with another body', body: apiErrorSchema },
      413: { description: 'body over 16 KiB', body: apiErrorSchema },
      415: { description: 'not JSON', body: apiErrorSchema },
    },
  },
  'POST /v1/decisions/{decisionId}/outcome': {
    operationId: 'reportOutcome',
    tag: 'decisions',
    summary: 'Report what happened after a decision',
    description: 'Recorded once; a failed sign-in counts against the user. Only the app that asked may report.',
    body: outcomeBody,
    responses: {
      200: { description: 'recorded (the same outcome again is 200 too)', body: outcomeResponseSchema },
      400: invalid,
      404: { description: 'no decision of this app client with this id', body: apiErrorSchema },
      409: { description: 'a different outcome was already reported', body: apiErrorSchema },
    },
  },

  'GET /v1/admin/audit': {
    operationId: 'exportAudit',
    tag: 'audit',
    summary: 'Export audit records (risk-auditors, risk-admins)',
    description: 'JSON lines, one record each, oldest first. The read is itself recorded (admin.read).',
    query: {
      from: { schema: z.string(), description: 'YYYY-MM-DD or ISO-8601 date-time (UTC)', required: true },
      to: { schema: z.string(), description: 'YYYY-MM-DD (that day included) or ISO-8601 date-time', required: true },
      subject: { schema: z.string().max(512), description: "only this person's records" },
      limit: { schema: z.number().int().min(1), description: 'records per page' },
      cursor,
    },
    responses: {
      200: {
        description: 'a page of records as JSON lines',
        body: { mediaType: 'application/x-ndjson', schema: { type: 'string' } },
        headers: { 'x-next-cursor': 'present while more records follow: pass it as `cursor`' },
      },
      400: invalid,
      403: forbiddenGroup,
    },
  },
  'GET /v1/admin/audit/verify': {
    operationId: 'verifyAudit',
    tag: 'audit',
    summary: 'Recompute every hash chain of the audit trail (risk-auditors, risk-admins)',
    responses: {
      200: { description: 'ok is false when any chain has a break', body: auditVerifyResponseSchema },
      403: forbiddenGroup,
    },
  },

  'POST /v1/step-up/totp/enroll': {
    operationId: 'enrollTotp',
    tag: 'step-up',
    summary: 'Start a TOTP enrolment (or a replacement) for the signed-in user',
    description:
      'Redeems a fresh mfa.change step-up (`stepUpId`, passed by this user, bound to the same session and device). ' +
      'Returns the secret once, with its otpauth:// URI for a QR code; confirm within 15 minutes.',
    body: changeBody,
    responses: {
      200: object('the pending enrolment: status, secret, otpauthUri, algorithm, digits, period, confirmBy'),
      400: invalid,
      403: {
        description: 'step_up_required: no fresh mfa.change step-up of this user was presented',
        body: apiErrorSchema,
      },
      409: conflict,
    },
  },
  'POST /v1/step-up/totp/remove': {
    operationId: 'removeTotp',
    tag: 'step-up',
    summary: 'Remove the active TOTP authenticator of the signed-in user',
    description: 'Redeems a fresh mfa.change step-up, like enrolment; the grant and the removal are one transaction.',
    body: changeBody,
    responses: {
      200: object('`{"status":"removed"}`'),
      400: invalid,
      403: {
        description: 'step_up_required: no fresh mfa.change step-up of this user was presented',
        body: apiErrorSchema,
      },
      409: conflict,
    },
  },
  'POST /v1/step-up/totp/confirm': {
    operationId: 'confirmTotp',
    tag: 'step-up',
    summary: 'Activate the pending TOTP enrolment with a current code',
    body: confirmBody,
    responses: {
      200: object('`{"status":"active","replaced":false}`'),
      400: invalid,
      409: conflict,
      429: { description: 'too many wrong codes: start the enrolment again', body: apiErrorSchema },
    },
  },

  'GET /v1/admin/policy': {
    operationId: 'getPolicy',
    tag: 'policy',
    summary: 'The active policy (risk-admins, risk-auditors)',
    responses: {
      200: {
        description: 'the active version; its number is also the ETag',
        body: z.strictObject({
          version: z.number().int(),
          policy: policySchema,
          updatedAt: z.string(),
          updatedBy: z.string(),
          reason: z.string().optional(),
        }),
        headers: { etag: 'the version, quoted: send it back as If-Match' },
      },
      403: forbiddenGroup,
    },
  },
  'PUT /v1/admin/policy': {
    operationId: 'putPolicy',
    tag: 'policy',
    summary: 'Store a new policy version (risk-admins)',
    description:
      '`policy` is a whole policy document (see getPolicy; `version` may be left out), validated with every ' +
      'problem named by its dotted path. With approval required, the answer is 202 and a second admin approves.',
    body: putPolicyBody,
    fields: { reason: 'why: goes into the audit record' },
    headers: {
      'if-match': { schema: z.string(), description: 'the version you edited, e.g. "3"', required: true },
    },
    responses: {
      200: object('applied (`{"version", "effectiveWithinSeconds"}`), or `{"version", "unchanged": true}`'),
      202: object('awaiting a second admin: `{"version", "status": "pending_approval", "approve", "reject"}`'),
      400: invalid,
      403: forbiddenGroup,
      409: { description: 'If-Match is not the active version any more: read again', body: apiErrorSchema },
      428: { description: 'If-Match is missing', body: apiErrorSchema },
    },
  },
  'GET /v1/admin/policy/versions': {
    operationId: 'listPolicyVersions',
    tag: 'policy',
    summary: 'Stored versions, newest first: who, when, why',
    query: {
      limit: { schema: z.number().int().min(1).max(100).default(20), description: 'versions per page' },
      before: { schema: z.number().int().min(2), description: '`nextBefore` of the previous page' },
    },
    responses: { 200: object('`{"versions": [...], "nextBefore"?}`'), 400: invalid, 403: forbiddenGroup },
  },
  'GET /v1/admin/policy/versions/{version}': {
    operationId: 'getPolicyVersion',
    tag: 'policy',
    summary: 'One stored version',
    responses: { 200: object('the version, with its document'), 403: forbiddenGroup, 404: notFound },
  },
  'GET /v1/admin/policy/diff': {
    operationId: 'diffPolicyVersions',
    tag: 'policy',
    summary: 'Changes between two stored versions',
    query: {
      from: { schema: z.number().int().min(0), description: 'the older version', required: true },
      to: { schema: z.number().int().min(0), description: 'the newer version (default: the active one)' },
    },
    responses: {
      200: object('`{"from", "to", "changes": [{"path", "kind", "before", "after"}]}`'),
      400: invalid,
      403: forbiddenGroup,
      404: notFound,
    },
  },
  'GET /v1/admin/policy/pending': {
    operationId: 'listPendingPolicyChanges',
    tag: 'policy',
    summary: "Changes awaiting a second admin's approval",
    responses: { 200: object('`{"activeVersion", "pending": [...]}`'), 403: forbiddenGroup },
  },
  'POST /v1/admin/policy/pending/{version}/approve': {
    operationId: 'approvePolicyChange',
    tag: 'policy',
    summary: 'Approve a pending change (another admin than the proposer)',
    body: reviewBody,
    responses: {
      200: object('approved and active'),
      400: invalid,
      403: forbiddenGroup,
      404: notFound,
      409: conflict,
    },
  },
  'POST /v1/admin/policy/pending/{version}/reject': {
    operationId: 'rejectPolicyChange',
    tag: 'policy',
    summary: 'Reject a pending change',
    body: reviewBody,
    responses: { 200: object('rejected'), 400: invalid, 403: forbiddenGroup, 404: notFound, 409: conflict },
  },
  'POST /v1/admin/policy/simulate': {
    operationId: 'simulatePolicy',
    tag: 'policy',
    summary: 'Replay recorded decisions under a candidate policy',
    body: simulateBody,
    responses: { 200: chunked('how the decisions move'), 400: invalid, 403: forbiddenGroup },
  },
  'GET /v1/admin/shadow': {
    operationId: 'getShadowRun',
    tag: 'shadow',
    summary: 'The shadow run in progress, if any',
    responses: { 200: object('the run, or `{"status": "none"}`'), 403: forbiddenGroup },
  },
  'POST /v1/admin/shadow': {
    operationId: 'startShadowRun',
    tag: 'shadow',
    summary: 'Score every decision under a candidate policy too, without changing any answer',
    body: shadowStartBody,
    responses: { 200: object('the run'), 400: invalid, 403: forbiddenGroup, 409: conflict },
  },
  'POST /v1/admin/shadow/stop': {
    operationId: 'stopShadowRun',
    tag: 'shadow',
    summary: 'Stop the shadow run',
    body: shadowStopBody,
    responses: { 200: object('the stopped run'), 400: invalid, 403: forbiddenGroup, 404: notFound },
  },
  'GET /v1/admin/shadow/report': {
    operationId: 'getShadowReport',
    tag: 'shadow',
    summary: 'Where the candidate disagreed with the live policy',
    query: { runId: { schema: z.string(), description: 'a run (default: the latest)' }, cursor },
    responses: { 200: chunked('the disagreements'), 400: invalid, 403: forbiddenGroup, 404: notFound },
  },
  'GET /v1/admin/users/{userId}/events': {
    operationId: 'listUserEvents',
    tag: 'events',
    summary: "A user's decisions, newest first (the read is audited)",
    query: {
      limit: { schema: z.number().int().min(1).max(200).default(50), description: 'decisions per page' },
      cursor,
    },
    responses: { 200: object('`{"userId", "events": [...], "cursor"?}`'), 400: invalid, 403: forbiddenGroup },
  },
  'GET /v1/admin/events': {
    operationId: 'exportEvents',
    tag: 'events',
    summary: 'Recorded decisions of a window, with what a replay needs (offline simulate)',
    query: {
      ...window,
      limit: { schema: z.number().int().min(1).max(1000).default(500), description: 'events per page' },
      cursor,
    },
    responses: { 200: object('`{"events": [...], "cursor"?, "progress"}`'), 400: invalid, 403: forbiddenGroup },
  },
  'GET /v1/admin/events/{decisionId}': {
    operationId: 'getEvent',
    tag: 'events',
    summary: 'One recorded decision (the read is audited)',
    responses: {
      200: object('the decision with its reasons, label and shadow answer'),
      403: forbiddenGroup,
      404: notFound,
    },
  },
  'POST /v1/admin/events/{decisionId}/feedback': {
    operationId: 'labelEvent',
    tag: 'events',
    summary: 'Label a decision fraud or legit, or remove its label (audited)',
    body: feedbackBody,
    responses: { 200: object('the label as stored'), 400: invalid, 403: forbiddenGroup, 404: notFound, 409: conflict },
  },
};

/**
 * Schemas published once under components/schemas and referenced from the operations, with the direction they are
 * read in (a request's input form, an answer's output form).
 */
const COMPONENTS: ReadonlyArray<readonly [name: string, schema: z.ZodType, io: 'input' | 'output']> = [
  ['DecisionRequest', decisionBody, 'input'],
  ['DecisionResponse', decisionResponseSchema, 'output'],
  ['Policy', policySchema, 'output'],
  ['Error', apiErrorSchema, 'output'],
  ['GatewayError', gatewayErrorSchema, 'output'],
];
const componentRegistry = z.registry<{ id: string }>();
for (const [id, schema] of COMPONENTS) componentRegistry.add(schema, { id });

/**
 * zod's JSON Schema output as an OpenAPI 3.1 Schema Object (draft 2020-12 is the document's default dialect), with
 * every registered component referenced instead of repeated.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input', asComponent = false): JsonSchema {
  const id = componentRegistry.get(schema)?.id;
  if (id && !asComponent) return { $ref: `#/components/schemas/${id}` };
  const generated = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    ...(asComponent ? {} : { metadata: componentRegistry }),
  }) as JsonSchema;
  delete generated.$schema;
  const defs = generated.$defs as Record<string, unknown> | undefined;
  delete generated.$defs;
  const unknownDefs = Object.keys(defs ?? {}).filter((name) => !componentRegistry.get(componentSchema(name)));
  if (unknownDefs.length > 0) throw new Error(`OpenAPI: unexpected schema definitions ${unknownDefs.join(', ')}`);
  // Registered schemas nested in this one came out as local $defs: point them at the components instead.
  return JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}

function componentSchema(name: string): z.ZodType {
  const found = COMPONENTS.find(([id]) => id === name);
  if (!found) throw new Error(`OpenAPI: no component ${name}`);
  return found[1];
}

function withFieldDescriptions(schema: JsonSchema, fields: Readonly<Record<string, string>> = {}): JsonSchema {
  for (const [path, description] of Object.entries(fields)) {
    let node: JsonSchema | undefined = schema;
    for (const part of path.split('.')) {
      node = (node?.properties as Record<string, JsonSchema> | undefined)?.[part];
    }
    if (!node) throw new Error(`OpenAPI: no body field ${path} to describe`);
    node.description = description;
  }
  return schema;
}

function parameters(route: ApiRoute, spec: OperationSpec): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
    out.push({
      name,
      in: 'path',
      required: true,
      description: PATH_PARAMETERS[name!] ?? name,
      schema: { type: 'string' },
    });
  }
  for (const [where, list] of [
    ['query', spec.query],
    ['header', spec.headers],
  ] as const) {
    for (const [name, p] of Object.entries(list ?? {})) {
      out.push({
        name,
        in: where,
        ...(p.required ? { required: true } : {}),
        description: p.description,
        schema: jsonSchemaOf(p.schema),
      });
    }
  }
  return out;
}

function content(body: Response['body'], io: 'input' | 'output'): JsonSchema | undefined {
  if (body === undefined) return undefined;
  if ('mediaType' in body) return { [body.mediaType]: { schema: body.schema } };
  return { 'application/json': { schema: jsonSchemaOf(body, io) } };
}

function responses(route: ApiRoute, spec: OperationSpec): JsonSchema {
  const out: JsonSchema = {};
  const all: Record<number, Response> = {
    ...spec.responses,
    // The JWT authorizer's answers, before any handler runs (API Gateway's own bodies).
    401: {
      description: 'refused by the JWT authorizer: `www-authenticate` says why (missing, expired, wrong audience...)',
      body: gatewayErrorSchema,
      headers: { 'www-authenticate': 'Bearer scope="..." error="invalid_token" error_description="..."' },
    },
  };
  if (route.scopes.length > 0) {
    all[403] ??= {
      description: 'the token lacks the scope this route needs',
      body: gatewayErrorSchema,
      headers: { 'www-authenticate': 'Bearer scope="..." error="insufficient_scope" error_description="..."' },
    };
  }
  for (const [status, r] of Object.entries(all).sort(([a], [b]) => Number(a) - Number(b))) {
    const body = content(r.body, 'output');
    out[status] = {
      description: r.description,
      ...(r.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(r.headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }]),
            ),
          }
        : {}),
      ...(body ? { content: body } : {}),
    };
  }
  return out;
}

export interface OpenApiOptions {
  /** Where the API is served (the local runtime's URL, or the deployed API's). */
  readonly serverUrl: string;
  /** The token endpoint of app clients (client credentials). */
  readonly tokenUrl: string;
  readonly version?: string;
  /** The route table to describe (default API_ROUTES; tests pass a changed one). */
  readonly routes?: readonly ApiRoute[];
}

/** The OpenAPI 3.1 document of every API_ROUTES route. Throws when a route has no operation, or the reverse. */
export function buildOpenApiDocument(options: OpenApiOptions): JsonSchema {
  const routes = options.routes ?? API_ROUTES;
  const keys = new Set(routes.map(routeKey));
  const undocumented = [...keys].filter((k) => !OPERATIONS[k]);
  const unrouted = Object.keys(OPERATIONS).filter((k) => !keys.has(k));
  if (undocumented.length > 0 || unrouted.length > 0) {
    throw new Error(
      `OpenAPI out of step with API_ROUTES: no operation for [${undocumented.join(', ')}]; no route for [${unrouted.join(', ')}]`,
    );
  }
  const schemas: Record<string, JsonSchema> = Object.fromEntries(
    COMPONENTS.map(([id, schema, io]) => [id, jsonSchemaOf(schema, io, true)]),
  );
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const spec = OPERATIONS[routeKey(route)]!;
    const params = parameters(route, spec);
    const body = spec.body ? jsonSchemaOf(spec.body) : undefined;
    if (body && spec.fields) {
      const component = typeof body.$ref === 'string' ? schemas[body.$ref.split('/').pop()!] : undefined;
      withFieldDescriptions(component ?? body, spec.fields);
    }
    (paths[route.path] ??= {})[route.method.toLowerCase()] = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [spec.tag],
      security: [route.authorizer === 'app' ? { appToken: [...route.scopes] } : { userToken: [] }],
      ...(params.length > 0 ? { parameters: params } : {}),
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
      responses: responses(route, spec),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'stepgate',
      version: options.version ?? '0.1.0',
      summary: 'Risk-scoring step-up authentication: allow, step up or deny',
      description:
        'App backends ask for decisions with client-credentials tokens (scope stepgate/decide); security staff ' +
        'use user-pool access tokens (groups risk-admins, risk-auditors) for the admin and audit routes.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.serverUrl }],
    tags: [
      { name: 'decisions', description: 'the decision API for app backends' },
      { name: 'step-up', description: "the signed-in user's own step-up settings" },
      { name: 'policy', description: 'policy versions, approval, simulation' },
      { name: 'shadow', description: 'shadow mode' },
      { name: 'events', description: 'recorded decisions and feedback labels' },
      { name: 'audit', description: 'the hash-chained audit trail' },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        appToken: {
          type: 'oauth2',
          description: 'client-credentials token of an app backend',
          flows: {
            clientCredentials: {
              tokenUrl: options.tokenUrl,
              scopes: { [DECIDE_SCOPE]: 'ask for decisions and report their outcomes' },
            },
          },
        },
        userToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'user-pool access token (Cognito); group membership is checked by each route',
        },
      },
    },
  };
}
