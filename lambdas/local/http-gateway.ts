import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiRoute } from '../contracts/routes';
import { routeKey } from '../contracts/routes';
import type { HttpEvent, HttpLambda, HttpResult } from '../handlers/http/http-handler';
import type { TokenRefusal, TokenVerifier } from '../ports/token-verifier';
import { localLambdaContext } from './lambda-context';

/** API Gateway HTTP APIs reject bodies above 10 MB before the Lambda runs; we do the same. */
const MAX_GATEWAY_BODY = 10 * 1024 * 1024;

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly handler: HttpLambda;
}

export interface GatewayOptions {
  readonly routes: readonly ApiRoute[];
  readonly handlers: Readonly<Partial<Record<string, HttpLambda>>>;
  /** One verifier per authorizer, configured like the API's JWT authorizers (issuer + audiences). */
  readonly authorizers: Readonly<Record<ApiRoute['authorizer'], TokenVerifier>>;
  readonly stage?: string;
}

function compile(route: ApiRoute, handler: HttpLambda): CompiledRoute {
  const paramNames: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const match = /^\{(\w+)\}$/.exec(segment);
      if (!match?.[1]) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      paramNames.push(match[1]);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), paramNames, handler };
}

export async function readBody(req: IncomingMessage, limit = MAX_GATEWAY_BODY): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** What API Gateway's JWT authorizer says about each refusal. The audience wording is the one AWS documents. */
const REFUSAL_DESCRIPTIONS: Record<TokenRefusal, string> = {
  missing: 'the request has no bearer token in its Authorization header',
  invalid: 'the token is not a well-formed JWT',
  bad_signature: "the token's signature is not valid for the issuer's keys",
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  wrong_issuer: 'the token does not have a valid issuer',
  wrong_audience: 'the token does not have a valid audience',
  wrong_token_use: 'the token is not an access token',
  insufficient_scope: 'the token does not have a required scope',
};

/**
 * The answer of API Gateway's JWT authorizer to a refused token: 401 `{"message":"Unauthorized"}` (403 `Forbidden`
 * for a missing scope) with a `www-authenticate` header that says why, in the form AWS documents:
 * `Bearer scope="<route scopes>" error="invalid_token" error_description="the token does not have a valid audience"`.
 * A request with no token carries no error code (RFC 6750 §3.1), only the description.
 */
export function authorizerRefusal(
  reason: TokenRefusal,
  scopes: readonly string[],
): { status: 401 | 403; body: { message: string }; wwwAuthenticate: string } {
  const description = `error_description="${REFUSAL_DESCRIPTIONS[reason]}"`;
  const scope = `scope="${scopes.join(' ')}"`;
  if (reason === 'insufficient_scope') {
    return {
      status: 403,
      body: { message: 'Forbidden' },
      wwwAuthenticate: `Bearer ${scope} error="insufficient_scope" ${description}`,
    };
  }
  const error = reason === 'missing' ? '' : 'error="invalid_token" ';
  return { status: 401, body: { message: 'Unauthorized' }, wwwAuthenticate: `Bearer ${scope} ${error}${description}` };
}

/**
 * A small emulation of an API Gateway HTTP API with JWT authorizers: it matches routes, applies the authorizer
 * (401 like API Gateway: `{"message":"Unauthorized"}` with the reason in `www-authenticate`; 403 `Forbidden` on a
 * missing scope), builds a payload v2 event and writes the Lambda's result back.
 */
export class HttpGateway {
  private readonly compiled: CompiledRoute[];

  constructor(private readonly options: GatewayOptions) {
    this.compiled = options.routes.map((route) => {
      const handler = options.handlers[route.fn];
      if (!handler) throw new Error(`no handler wired for function ${route.fn}`);
      return compile(route, handler);
    });
  }

  /** Returns false when no API route matches the path (the caller may then try other local services). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const method = (req.method ?? 'GET').toUpperCase();
    const matches = this.compiled.filter((c) => c.pattern.test(url.pathname));
    if (matches.length === 0) return false;
    const target = matches.find((c) => c.route.method === method);
    if (!target) {
      // API Gateway answers an unrouted method on a known path with 404 {"message":"Not Found"}.
      sendJson(res, 404, { message: 'Not Found' });
      return true;
    }
    const auth = req.headers.authorization;
    // "Bearer" with nothing after it (clients trim the trailing space) carries no token: missing, not malformed.
    const bearer = auth?.startsWith('Bearer ') || auth?.trim() === 'Bearer' ? auth.slice(7).trim() : auth?.trim();
    const check = await this.options.authorizers[target.route.authorizer].verify(bearer, target.route.scopes);
    if (!check.ok) {
      const refusal = authorizerRefusal(check.reason, target.route.scopes);
      sendJson(res, refusal.status, refusal.body, { 'www-authenticate': refusal.wwwAuthenticate });
      return true;
    }
    const body = await readBody(req);
    if (body === 'too_large') {
      sendJson(res, 413, { message: 'Request Entity Too Large' });
      return true;
    }
    const params: Record<string, string> = {};
    const m = target.pattern.exec(url.pathname);
    target.paramNames.forEach((name, i) => {
      const raw = m?.[i + 1];
      if (raw === undefined) return;
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        // API Gateway passes a malformed escape through undecoded; the handler then rejects it as an unknown id.
        params[name] = raw;
      }
    });
    const event = this.toEvent(req, url, target, params, body, check.token.claims, check.token.scopes);
    let result: HttpResult;
    try {
      result = await target.handler(event, localLambdaContext(target.route.fn));
    } catch {
      // An uncaught Lambda error surfaces from API Gateway as a bare 500.
      sendJson(res, 500, { message: 'Internal Server Error' });
      return true;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const text = result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? '');
    res.writeHead(result.statusCode ?? 200, headers);
    res.end(text);
    return true;
  }

  private toEvent(
    req: IncomingMessage,
    url: URL,
    target: CompiledRoute,
    pathParameters: Record<string, string>,
    body: Buffer,
    claims: Record<string, unknown>,
    scopes: readonly string[],
  ): HttpEvent {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of url.searchParams)
      queryStringParameters[k] = queryStringParameters[k] ? `${queryStringParameters[k]},${v}` : v;
    const now = Date.now();
    // API Gateway passes claims as strings (arrays flattened to "[a b]"), so handlers must cope with that form.
    const flatClaims: Record<string, string | number | boolean | string[]> = {};
    for (const [k, v] of Object.entries(claims)) {
      flatClaims[k] = Array.isArray(v)
        ? `[${v.join(' ')}]`
        : typeof v === 'object'
          ? JSON.stringify(v)
          : (v as string | number | boolean);
    }
    const isText = body.length === 0 || /json|text|x-www-form-urlencoded/.test(headers['content-type'] ?? '');
    return {
      version: '2.0',
      routeKey: routeKey(target.route),
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? '127.0.0.1',
        domainPrefix: 'local',
        http: {
          method: target.route.method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: routeKey(target.route),
        stage: this.options.stage ?? '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
        authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: flatClaims, scopes: [...scopes] } },
      },
      ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: !isText,
    };
  }
}
