import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { API_ROUTES, routeKey, type ApiRoute, type FunctionName, type RouteKeyOf } from '../../contracts/routes';
import { WorkflowError } from '../../application/errors';
import { StepgateError } from '../../core/errors';
import { ApiError, InvalidRequestError, statusForCode } from './api-errors';
import { callerOf, requireGroup } from './caller';
import { defaultErrorLog, type ErrorSummaryLog } from './error-log';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = Exclude<APIGatewayProxyResultV2, string>;
export type HttpLambda = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** What a route's business function receives: the parsed, validated body and the raw event for claims/params. */
export interface HttpRequest<TBody> {
  readonly body: TBody;
  readonly event: HttpEvent;
}

export interface HttpHandlerOptions<TSchema extends z.ZodType | undefined> {
  /** zod schema of the JSON body; omit for routes without a body. */
  readonly body?: TSchema;
  /** Largest body accepted, in bytes, before parsing (defaults to 16 KiB: a decision request is ~1 KiB). */
  readonly maxBodyBytes?: number;
  /** Where unexpected failures are summarised (default: {@link defaultErrorLog}). */
  readonly logError?: ErrorSummaryLog;
  /**
   * Staff groups allowed to call the route (any one suffices); `serveRoutes` sets them from the route table.
   * Checked before the body is even parsed: a caller without the group learns nothing of the route's schema, only 403.
   */
  readonly groups?: readonly string[];
}

const GENERIC_500 = JSON.stringify({ error: { code: 'internal', message: 'Internal error' } });

function errorBody(code: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ error: { code, message, ...(details ?? {}) } });
}

/** Turns a zod failure into one 400 naming the first offending field by its dotted path. */
export function zodToInvalidRequest(error: z.ZodError, prefix = ''): InvalidRequestError {
  const issue = error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  const message = issue ? `${path || 'body'}: ${issue.message}` : 'invalid request';
  return new InvalidRequestError(message, path || 'body', { cause: error });
}

/**
 * Maps stepgate's typed errors (and middy's own HttpErrors) to the `{"error":{code,message}}` JSON body. It runs
 * before @middy/http-error-handler (middy runs onError in reverse order of `use`), which then writes the response:
 * errors below 500 are exposed, anything else becomes a generic 500 with nothing internal in it.
 */
function jsonErrors(logError: (summary: Record<string, unknown>) => void): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      const error = request.error;
      if (!error) return;
      const mapped =
        error instanceof ApiError || error instanceof StepgateError ? statusForCode(error.code) : undefined;
      if (
        (error instanceof ApiError || error instanceof StepgateError) &&
        (mapped !== undefined || error instanceof ApiError)
      ) {
        const status = mapped ?? 400;
        const details = error instanceof ApiError ? error.details : stepgateDetails(error);
        request.error = Object.assign(new Error(errorBody(error.code, error.message, details)), {
          statusCode: status,
          expose: true,
        });
        return;
      }
      const http = error as Error & { statusCode?: number };
      if (typeof http.statusCode === 'number' && http.statusCode < 500) {
        // The body parser reports malformed JSON as 415; to the client it is a bad request body (400).
        const malformedJson = http.statusCode === 415 && /JSON/.test(http.message);
        const status = malformedJson ? 400 : http.statusCode;
        const code = status === 415 ? 'unsupported_media_type' : 'invalid_request';
        const message = malformedJson
          ? 'body: invalid or malformed JSON'
          : status === 415
            ? 'content-type: must be application/json'
            : http.message;
        request.error = Object.assign(
          new Error(
            errorBody(
              code,
              message,
              malformedJson || status === 415 ? { field: malformedJson ? 'body' : 'content-type' } : undefined,
            ),
          ),
          {
            statusCode: status,
            expose: true,
          },
        );
        return;
      }
      // Unexpected: log a summary (never the event: it may hold tokens or personal data) and answer generically.
      logError({ name: error.name, message: error.message, code: (error as { code?: unknown }).code });
      request.error = Object.assign(new Error(GENERIC_500), { statusCode: 500, expose: true });
    },
  };
}

/** What a core or workflow error tells the client besides its message: the field at fault, and its details. */
function stepgateDetails(error: StepgateError): Record<string, unknown> | undefined {
  if (error instanceof WorkflowError) return error.details ? { ...error.details } : undefined;
  return 'field' in error && typeof error.field === 'string' ? { field: error.field } : undefined;
}

function bodySizeGuard(maxBytes: number): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: (request) => {
      const body = request.event.body;
      if (typeof body === 'string' && Buffer.byteLength(body) > maxBytes) {
        throw new ApiError('payload_too_large', `body: larger than ${maxBytes} bytes`);
      }
    },
  };
}

/**
 * Builds a middy HTTP handler in the order middy's docs lay out: header normalizer, (group check, size guard,)
 * body parser, validator, error handler. `fn` returns the response; it throws ApiError subclasses for client mistakes.
 */
export function httpHandler<TSchema extends z.ZodType | undefined>(
  options: HttpHandlerOptions<TSchema>,
  fn: (request: HttpRequest<TSchema extends z.ZodType ? z.infer<TSchema> : undefined>) => Promise<HttpResult>,
): HttpLambda {
  const logError = options.logError ?? defaultErrorLog();
  const schema = options.body;
  const groups = options.groups;
  const handler = middy<HttpEvent, HttpResult>().use(httpHeaderNormalizer());
  if (groups && groups.length > 0) {
    handler.use({
      before: (request: middy.Request<HttpEvent, HttpResult>) => requireGroup(callerOf(request.event), groups),
    });
  }
  handler.use(bodySizeGuard(options.maxBodyBytes ?? 16 * 1024));
  if (schema) handler.use(httpJsonBodyParser());
  handler
    .use({
      before: (request) => {
        if (!schema) return;
        const event = request.event as unknown as { body: unknown };
        const parsed = schema.safeParse(event.body);
        if (!parsed.success) throw zodToInvalidRequest(parsed.error);
        event.body = parsed.data;
      },
    })
    .use(httpErrorHandler({ logger: false, fallbackMessage: GENERIC_500 }))
    .use(jsonErrors(logError))
    .handler(async (event) => {
      type Body = TSchema extends z.ZodType ? z.infer<TSchema> : undefined;
      const { body } = event as unknown as { body: Body };
      // The validator above replaced the raw body with the schema's output; its generic type reads as `any` to lint.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
      return fn({ body, event });
    });
  return handler;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A route's handler, before the route table says which groups may call it. */
export interface RouteBinding {
  /** The middy handler of `route`, with the route's group check. */
  bind(route: ApiRoute, logError?: (summary: Record<string, unknown>) => void): HttpLambda;
}

/** A route's body schema, size limit and business function, to be bound to its entry of the route table. */
export function route<TSchema extends z.ZodType | undefined = undefined>(
  options: Omit<HttpHandlerOptions<TSchema>, 'groups' | 'logError'>,
  fn: (request: HttpRequest<TSchema extends z.ZodType ? z.infer<TSchema> : undefined>) => Promise<HttpResult>,
): RouteBinding {
  return {
    bind: (entry, logError) =>
      httpHandler(
        { ...options, ...(entry.groups ? { groups: entry.groups } : {}), ...(logError ? { logError } : {}) },
        fn,
      ),
  };
}

/** The handlers of one function, one per route the table gives it: a missing or unknown key fails typecheck. */
export type RouteHandlers<F extends FunctionName> = { readonly [K in RouteKeyOf<F>]: RouteBinding };

export interface ServeOptions {
  readonly logError?: (summary: Record<string, unknown>) => void;
  /** The route table (default API_ROUTES; tests pass a changed one). */
  readonly routes?: readonly ApiRoute[];
}

const NOT_SERVED = { error: { code: 'not_found', message: 'route not served by this function' } };

/**
 * One Lambda's HTTP entry point: dispatches on `event.routeKey` to the handler bound to that route, each with the
 * groups the route table gives it. Throws at construction when the handlers and the table's routes of `fn` differ
 * (a handler object assembled by spreading can carry keys the type does not see), so a route cannot be served
 * without its table entry, nor listed without a handler.
 */
export function serveRoutes<F extends FunctionName>(
  fn: F,
  handlers: RouteHandlers<F>,
  options: ServeOptions = {},
): HttpLambda {
  const table = (options.routes ?? API_ROUTES).filter((r) => r.fn === fn);
  const bindings = handlers as Readonly<Record<string, RouteBinding>>;
  const listed = new Set(table.map(routeKey));
  const unrouted = Object.keys(bindings).filter((key) => !listed.has(key));
  const unhandled = [...listed].filter((key) => !Object.hasOwn(bindings, key));
  if (unrouted.length > 0 || unhandled.length > 0) {
    throw new Error(
      `routes of ${fn} out of step with the route table: no table entry for [${unrouted.join(', ')}]; no handler for [${unhandled.join(', ')}]`,
    );
  }
  const served = new Map(
    table.map((entry) => [routeKey(entry), bindings[routeKey(entry)]!.bind(entry, options.logError)]),
  );
  return async (event, context) => {
    const handler = served.get(event.routeKey);
    if (!handler) return json(404, NOT_SERVED);
    return handler(event, context);
  };
}
