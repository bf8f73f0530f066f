import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { API_ROUTES, routeKey, type ApiRoute } from '../../lambdas/contracts/routes';
import { composeDecide } from '../../lambdas/composition/decide';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import type { LocalUser } from '../../lambdas/local/local-identities';
import { createTestTables, testDynamoClient } from '../support/dynamodb';
import { startTestRuntime } from '../support/local-runtime';
import {
  apiEvent,
  CHROME_MAC,
  DECIDE_ROUTE,
  lambdaContext,
  NEW_YORK,
  OUTCOME_ROUTE,
  seedPolicy,
  send,
  trafficSummary,
  snapshotTables,
  type HttpAnswer,
} from './helpers';

/**
 * Every route of API_ROUTES (iterated, so a route added later is probed without touching this file) against the
 * ways a caller can be wrong: no token, garbage, forged, expired, foreign-signed, meant for someone else, or
 * lacking the scope or group. The handler must never run for these: the tables are compared before and after.
 */

const CLOCK = Date.parse('2026-11-29T10:00:00Z');
const NOW_S = Math.floor(CLOCK / 1000);
const DECIDE_BODY = {
  userId: 'authz@example.com',
  action: 'auth.sign_in',
  context: { ip: NEW_YORK, userAgent: CHROME_MAC },
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

interface Probe {
  readonly name: string;
  readonly token: string | undefined;
  readonly status: 401 | 403;
  /** Why the authorizer refuses it, as its `www-authenticate` header says (the key of WHY below). */
  readonly why: keyof typeof WHY;
  /** Sent as the raw Authorization header instead of `Bearer <token>`. */
  readonly rawHeader?: string;
}

/**
 * The `error` and `error_description` of API Gateway's JWT authorizer for each refusal (the audience one is the
 * wording AWS documents), so that a developer reads "expired" or "wrong audience" rather than a bare 401.
 */
const WHY = {
  missing: 'error_description="the request has no bearer token in its Authorization header"',
  invalid: 'error="invalid_token" error_description="the token is not a well-formed JWT"',
  signature: 'error="invalid_token" error_description="the token\'s signature is not valid for the issuer\'s keys"',
  expired: 'error="invalid_token" error_description="the token has expired"',
  audience: 'error="invalid_token" error_description="the token does not have a valid audience"',
  idToken: 'error="invalid_token" error_description="the token is not an access token"',
  scope: 'error="insufficient_scope" error_description="the token does not have a required scope"',
} as const;

describe('authorization of every API route', () => {
  let runtime: LocalRuntime;
  let decisionId: string;
  let appToken: string;

  const user = (groupless: boolean): LocalUser => {
    const users = runtime.context.identities.users;
    const found = groupless ? users.find((u) => u.groups.length === 0) : users.find((u) => u.groups.length > 0);
    if (!found) throw new Error('local identities lack the expected users');
    return found;
  };

  /** A concrete URL for a route: its own decision for {decisionId}, a placeholder for any other parameter. */
  const urlFor = (route: ApiRoute) =>
    `${runtime.url}${route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'decisionId' ? decisionId : 'probe'))}`;

  /** A body the route would accept, so that only the credentials can be the reason for a refusal. */
  const bodyFor = (route: ApiRoute): string | undefined => {
    if (route.method === 'GET' || route.method === 'DELETE') return undefined;
    if (routeKey(route) === DECIDE_ROUTE) return JSON.stringify(DECIDE_BODY);
    if (routeKey(route) === OUTCOME_ROUTE) return JSON.stringify({ outcome: 'failed' });
    return '{}';
  };

  const call = (route: ApiRoute, authorization: string | undefined): Promise<HttpAnswer> =>
    send(urlFor(route), {
      method: route.method,
      headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) },
      ...(bodyFor(route) !== undefined ? { body: bodyFor(route)! } : {}),
    });

  /** A token the route's authorizer accepts (right audience and scope); used as the base of forgeries too. */
  async function goodToken(route: ApiRoute): Promise<string> {
    const { issuer, identities } = runtime.context;
    if (route.authorizer === 'app') return issuer.clientCredentials(identities.appClient, route.scopes, NOW_S);
    return (await issuer.userTokens(user(false), identities.webClient.clientId, NOW_S)).AccessToken;
  }

  // Probes depend only on the authorizer and scopes, and RS256 key generation is slow on small machines: cache.
  const probeCache = new Map<string, Promise<Probe[]>>();
  let foreignKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const probesFor = (route: ApiRoute): Promise<Probe[]> => {
    const key = `${route.authorizer}|${route.scopes.join(' ')}`;
    let probes = probeCache.get(key);
    if (!probes) probeCache.set(key, (probes = buildProbes(route)));
    return probes;
  };

  async function buildProbes(route: ApiRoute): Promise<Probe[]> {
    const { issuer, identities } = runtime.context;
    const good = await goodToken(route);
    const [header, payload] = good.split('.') as [string, string, string];
    const claims = decodeJwt(good);
    const privateKey = foreignKey;
    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'local-1' }).sign(privateKey);
    const publicJwk = JSON.stringify(issuer.jwks().keys[0]);
    const hmacWithPublicKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: 'local-1' })
      .sign(new TextEncoder().encode(publicJwk));
    const tampered = `${header}.${b64url({ ...claims, exp: NOW_S + 86_400 * 365, scope: 'stepgate/decide admin' })}.${good.split('.')[2]}`;
    const expired =
      route.authorizer === 'app'
        ? await issuer.clientCredentials(identities.appClient, route.scopes, NOW_S - 3601)
        : (await issuer.userTokens(user(false), identities.webClient.clientId, NOW_S - 3601)).AccessToken;
    const users = await issuer.userTokens(user(false), identities.webClient.clientId, NOW_S);
    const otherApp = await issuer.clientCredentials(
      { clientId: 'other-app', allowedScopes: route.scopes },
      route.scopes,
      NOW_S,
    );
    const probes: Probe[] = [
      { name: 'no token', token: undefined, status: 401, why: 'missing' },
      { name: 'empty bearer', token: '', status: 401, why: 'missing', rawHeader: 'Bearer ' },
      { name: 'garbage', token: 'garbage', status: 401, why: 'invalid' },
      { name: 'three garbage parts', token: 'aaa.bbb.ccc', status: 401, why: 'invalid' },
      {
        name: 'alg none, no signature',
        token: `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        status: 401,
        why: 'signature',
      },
      {
        name: 'HS256 keyed with the public key (algorithm confusion)',
        token: hmacWithPublicKey,
        status: 401,
        why: 'signature',
      },
      { name: 'payload tampered after signing', token: tampered, status: 401, why: 'signature' },
      { name: 'expired a second ago', token: expired, status: 401, why: 'expired' },
      {
        name: 'signed by another key with the same kid and claims',
        token: foreign,
        status: 401,
        why: 'signature',
      },
      { name: 'token of another app client', token: otherApp, status: 401, why: 'audience' },
      { name: 'wrong scheme (Basic)', token: good, status: 401, why: 'invalid', rawHeader: `Basic ${good}` },
    ];
    if (route.authorizer === 'app') {
      probes.push(
        {
          name: 'user access token on an app route (wrong audience)',
          token: users.AccessToken,
          status: 401,
          why: 'audience',
        },
        { name: 'user id token on an app route', token: users.IdToken, status: 401, why: 'idToken' },
      );
      if (route.scopes.length > 0) {
        probes.push(
          {
            name: 'app token with another scope',
            token: await issuer.clientCredentials(identities.appClient, ['stepgate/other'], NOW_S),
            status: 403,
            why: 'scope',
          },
          {
            name: 'app token with no scope',
            token: await issuer.clientCredentials(identities.appClient, [], NOW_S),
            status: 403,
            why: 'scope',
          },
        );
      }
    } else {
      probes.push(
        {
          name: 'app token on a user route (wrong audience)',
          token: await issuer.clientCredentials(identities.appClient, identities.appClient.allowedScopes, NOW_S),
          status: 401,
          why: 'audience',
        },
        { name: 'id token instead of an access token', token: users.IdToken, status: 401, why: 'idToken' },
      );
    }
    return probes;
  }

  beforeAll(async () => {
    ({ privateKey: foreignKey } = await generateKeyPair('RS256'));
    runtime = await startTestRuntime({ now: () => CLOCK });
    appToken = await runtime.context.issuer.clientCredentials(
      runtime.context.identities.appClient,
      runtime.context.identities.appClient.allowedScopes,
      NOW_S,
    );
    const made = await send(`${runtime.url}/v1/decisions`, {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${appToken}` },
      body: JSON.stringify(DECIDE_BODY),
    });
    expect(made.status).toBe(200);
    decisionId = made.body.decisionId;
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('refuses bad credentials on every route with API Gateway answers, before any handler runs', async () => {
    expect(API_ROUTES.length).toBeGreaterThan(0);
    const before = await snapshotTables(runtime.context.dynamo, runtime.context.tables);
    const seen: string[] = [];
    for (const route of API_ROUTES) {
      const probes = await probesFor(route);
      // One route's probes in parallel: they are independent, and it keeps the suite short as routes are added.
      const answers = await Promise.all(
        probes.map((probe) =>
          call(route, probe.rawHeader ?? (probe.token === undefined ? undefined : `Bearer ${probe.token}`)),
        ),
      );
      probes.forEach((probe, i) => {
        const answer = answers[i]!;
        const label = `${routeKey(route)} · ${probe.name}`;
        seen.push(label);
        expect({
          label,
          status: answer.status,
          body: answer.body,
          wwwAuthenticate: answer.headers.get('www-authenticate'),
        }).toEqual({
          label,
          status: probe.status,
          body: { message: probe.status === 401 ? 'Unauthorized' : 'Forbidden' },
          wwwAuthenticate: `Bearer scope="${route.scopes.join(' ')}" ${WHY[probe.why]}`,
        });
      });
    }
    expect(await snapshotTables(runtime.context.dynamo, runtime.context.tables)).toEqual(before);
    expect(seen.length).toBeGreaterThanOrEqual(API_ROUTES.length * 12);
  });

  it('lets the right credentials through on every route (the probes above are not refusing everything)', async () => {
    for (const route of API_ROUTES) {
      const answer = await call(route, `Bearer ${await goodToken(route)}`);
      // Past the authorizer: not its 401/403 {"message"} answers (a handler's own 4xx is fine here).
      expect({ route: routeKey(route), status: answer.status, body: answer.body }).not.toMatchObject({ status: 401 });
      expect(answer.body).not.toEqual({ message: 'Forbidden' });
      expect(answer.body).not.toEqual({ message: 'Not Found' });
      expect(answer.status).toBeLessThan(500);
    }
  });

  const adminRoutes = () => API_ROUTES.filter((r) => r.authorizer === 'user' && r.path.startsWith('/v1/admin/'));

  async function groupless(routes: readonly ApiRoute[]) {
    const { issuer, identities } = runtime.context;
    const plain = await issuer.userTokens(user(true), identities.webClient.clientId, NOW_S);
    const results = [];
    for (const route of routes) {
      const answer = await call(route, `Bearer ${plain.AccessToken}`);
      results.push({ route: routeKey(route), status: answer.status, code: answer.body?.error?.code });
    }
    return results;
  }

  // Admin routes are group-scoped (risk-admins / risk-auditors); other user routes serve any signed-in user.
  it('refuses a signed-in user without a staff group on every admin route without a body (403)', async () => {
    const routes = adminRoutes().filter((r) => bodyFor(r) === undefined);
    for (const result of await groupless(routes)) {
      expect(result).toEqual({ route: result.route, status: 403, code: 'forbidden' });
    }
  });

  // The group is checked before the body is parsed: a groupless caller learns nothing of the admin API's schema.
  it('refuses a groupless user on admin routes with a body before validating it (403)', async () => {
    const routes = adminRoutes().filter((r) => bodyFor(r) !== undefined);
    expect(routes.length).toBeGreaterThan(0);
    for (const result of await groupless(routes)) {
      expect(result).toEqual({ route: result.route, status: 403, code: 'forbidden' });
    }
  });
});

describe('object-level authorization in the decide handler (BOLA)', () => {
  const dynamo = testDynamoClient();
  const claimsOf = (clientId: string) => ({
    sub: clientId,
    client_id: clientId,
    token_use: 'access',
    scope: 'stepgate/decide',
  });
  let handler: ReturnType<typeof composeDecide>['handler'];
  let tables: Awaited<ReturnType<typeof createTestTables>>;

  const decide = async (clientId: string, body: unknown) => {
    const r = await handler(
      apiEvent({ routeKey: DECIDE_ROUTE, body: JSON.stringify(body), claims: claimsOf(clientId) }),
      lambdaContext(),
    );
    return { status: r.statusCode, headers: r.headers ?? {}, body: JSON.parse(r.body ?? 'null') };
  };
  const report = async (clientId: string, id: string, outcome: string) => {
    const r = await handler(
      apiEvent({
        routeKey: OUTCOME_ROUTE,
        body: JSON.stringify({ outcome }),
        claims: claimsOf(clientId),
        pathParameters: { decisionId: id },
      }),
      lambdaContext(),
    );
    return { status: r.statusCode, body: JSON.parse(r.body ?? 'null') };
  };
  const storedOutcome = async (id: string) => {
    const out = await dynamo.send(
      new GetItemCommand({ TableName: tables.risk, Key: { pk: { S: `DECISION#${id}` }, sk: { S: 'DECISION' } } }),
    );
    return out.Item?.outcome?.S;
  };

  beforeAll(async () => {
    tables = await createTestTables(dynamo, 'bola');
    await seedPolicy(dynamo, tables);
    // The gateway only lets the configured app client in; a second app client exists only at this level, as it
    // would in AWS with two app clients on the same authorizer.
    handler = composeDecide({ dynamo, tables, clock: () => CLOCK }).handler;
  });

  afterAll(() => dynamo.destroy());

  it('does not let another app client report the outcome of a decision it did not make (404, unchanged)', async () => {
    const mine = await decide('local-app', DECIDE_BODY);
    expect(mine.status).toBe(200);
    const id: string = mine.body.decisionId;

    const stolen = await report('other-app', id, 'failed');
    const missing = await report('other-app', '00000000-0000-4000-8000-000000000000', 'failed');
    expect(stolen.status).toBe(404);
    // Indistinguishable from an id that does not exist: ids cannot be used to probe another client's traffic.
    expect(stolen.body).toEqual(missing.body);
    expect(await storedOutcome(id)).toBeUndefined();

    expect((await report('local-app', id, 'succeeded')).status).toBe(200);
    expect(await storedOutcome(id)).toBe('succeeded');
    // And the owner's outcome cannot be overwritten or confirmed by the other client either.
    expect((await report('other-app', id, 'succeeded')).status).toBe(404);
  });

  it("never replays another client's idempotent response for the same requestId", async () => {
    const body = { ...DECIDE_BODY, userId: 'idem-bola@example.com', requestId: 'shared-request-1' };
    const first = await decide('local-app', body);
    const again = await decide('local-app', body);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.body.decisionId).toBe(first.body.decisionId);

    const other = await decide('other-app', body);
    expect(other.status).toBe(200);
    expect(other.headers['idempotent-replay']).toBeUndefined();
    expect(other.body.decisionId).not.toBe(first.body.decisionId);
  });
});

afterAll(() => console.info(trafficSummary('authorization')));
