import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import fc from 'fast-check';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { composeDecide } from '../../lambdas/composition/decide';
import { API_ROUTES, type ApiRoute } from '../../lambdas/contracts/routes';
import { appToken, startTestRuntime } from '../support/local-runtime';
import {
  apiEvent,
  CHROME_MAC,
  DECIDE_ROUTE,
  isApiError,
  isGatewayError,
  lambdaContext,
  NEW_YORK,
  reasonCodes,
  send,
  trafficSummary,
  snapshotTables,
  type HttpAnswer,
} from './helpers';

/**
 * Hostile and broken input against the real local runtime (gateway + authorizer + middy handler + DynamoDB Local).
 * Every answer must be a 4xx in one of the two documented shapes, never a 5xx, and a batch of invalid requests
 * must leave every table exactly as it was: a request that fails validation must not have touched storage.
 */

const CLOCK = Date.parse('2026-11-29T10:00:00Z');
const VALID = { userId: 'fuzz@example.com', action: 'auth.sign_in', context: { ip: NEW_YORK, userAgent: CHROME_MAC } };
const RUNS = Number(process.env.STEPGATE_FUZZ_RUNS ?? 40);
const BODY_LIMIT = 16 * 1024;

/** Field → longest accepted string, as the decision API documents it. */
const STRING_LIMITS: Record<string, number> = {
  userId: 256,
  action: 128,
  sessionId: 256,
  'context.ip': 64,
  'context.userAgent': 2048,
  'context.deviceId': 256,
  stepUpId: 128,
  requestId: 128,
};
const STRING_FIELDS = Object.keys(STRING_LIMITS);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Lone surrogates cannot be percent-encoded (encodeURIComponent throws), so no client could send them in a URL. */
function encodable(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}

function withField(path: string, value: unknown): Record<string, unknown> {
  const body = structuredClone(VALID) as Record<string, unknown>;
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) body[head] = value;
  else (body[head] as Record<string, unknown>)[tail] = value;
  return body;
}

/** No stack frames, file paths or SDK internals in what a client sees. */
function expectNothingInternal(answer: HttpAnswer): void {
  expect(answer.text).not.toMatch(/\n\s+at |node_modules|\/work\/|ECONNREFUSED|DynamoDB|ValidationException/);
}

function expectClientError(answer: HttpAnswer, expected: { status?: number; field?: string } = {}): void {
  const summary = { status: answer.status, body: answer.text.slice(0, 300) };
  expect(summary.status).toBeGreaterThanOrEqual(400);
  expect(summary.status).toBeLessThan(500);
  if (expected.status !== undefined) expect(summary).toMatchObject({ status: expected.status });
  if (isGatewayError(answer)) {
    // API Gateway's own answers (authorizer, routing, size limit) carry only {"message"}.
    expect([401, 403, 404, 413]).toContain(answer.status);
  } else {
    expect(isApiError(answer) ? 'api error shape' : summary).toBe('api error shape');
    expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  }
  if (expected.field !== undefined) expect({ field: answer.body?.error?.field }).toEqual({ field: expected.field });
  expectNothingInternal(answer);
}

describe('bad input through the local runtime', () => {
  let runtime: LocalRuntime;
  let token: string;
  let ownDecisionId: string;
  const protoNamesBefore = Object.getOwnPropertyNames(Object.prototype).sort();

  const postRaw = (body: string | Buffer | undefined, headers: Record<string, string> = {}, path = '/v1/decisions') =>
    send(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body !== undefined ? { body } : {}),
    });

  /** Runs `batch` and proves that no table changed: every item of the risk, audit and policy tables compared. */
  async function expectNoWrites(batch: () => Promise<void>): Promise<void> {
    const before = await snapshotTables(runtime.context.dynamo, runtime.context.tables);
    await batch();
    const after = await snapshotTables(runtime.context.dynamo, runtime.context.tables);
    expect(after).toEqual(before);
  }

  beforeAll(async () => {
    runtime = await startTestRuntime({ now: () => CLOCK });
    token = await appToken(runtime.url);
    // One valid decision, so the outcome route has a real decision of this client to aim at.
    const made = await postRaw(JSON.stringify(VALID));
    expect(made.status).toBe(200);
    ownDecisionId = made.body.decisionId;
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('answers malformed JSON text with 400 naming the body, and writes nothing', async () => {
    const validText = JSON.stringify(VALID);
    const truncated = fc.nat().map((n) => validText.slice(0, n % validText.length));
    const corrupted = fc
      .tuple(fc.nat(), fc.constantFrom('{', '}', '"', ',', ':', '\\', "'", 'NaN', ']', '\u0000', '\n}'))
      .map(([n, junk]) => {
        const at = n % validText.length;
        return validText.slice(0, at) + junk + validText.slice(at);
      })
      .filter((t) => !parses(t));
    const nasty = fc.constantFrom(
      '{"userId":',
      "{'userId':'a'}",
      '{"userId":"a",}',
      `\uFEFF${validText}`,
      'NaN',
      'undefined',
      `${validText}}`,
      '['.repeat(5000),
      `{"userId":"a\u0000b"}`,
      '{"userId":"\\x41"}',
      '{"userId":"\\ud800"',
    );
    const garbage = fc.string({ unit: 'binary', maxLength: 200 }).filter((t) => !parses(t));
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(truncated, corrupted, nasty, garbage), async (text) => {
          const answer = await postRaw(text);
          expectClientError(answer, { status: 400, field: 'body' });
          expect(answer.body.error.code).toBe('invalid_request');
        }),
        { numRuns: RUNS },
      );
    });
  });

  it('answers well-formed JSON of the wrong shape or wrong field types with 400 naming the field', async () => {
    const notAnObject = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
    );
    const notAString = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
    );
    const wrongField = fc.oneof(
      fc.tuple(fc.constantFrom(...STRING_FIELDS, 'context.timestamp'), notAString),
      fc.tuple(fc.constant('context'), notAnObject),
    );
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(notAnObject, async (value) => {
          expectClientError(await postRaw(JSON.stringify(value)), { status: 400, field: 'body' });
        }),
        { numRuns: Math.ceil(RUNS / 3) },
      );
      await fc.assert(
        fc.asyncProperty(wrongField, async ([path, value]) => {
          expectClientError(await postRaw(JSON.stringify(withField(path, value))), { status: 400, field: path });
        }),
        { numRuns: RUNS },
      );
      // Missing required fields, one at a time.
      for (const path of ['userId', 'action', 'context', 'context.ip']) {
        expectClientError(await postRaw(JSON.stringify(withField(path, undefined))), { status: 400, field: path });
      }
    });
  });

  it('answers oversized strings with 400 naming the field, or 413 above the body limit', async () => {
    const oversized = fc.tuple(
      fc.constantFrom(...STRING_FIELDS),
      fc.constantFrom('x', 'é', '😀', '\u200b'),
      fc.integer({ min: 1, max: 9000 }),
    );
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(oversized, async ([path, unit, extra]) => {
          const limit = STRING_LIMITS[path]!;
          // Limits count code points (zod), and every unit here is one code point.
          const value = unit.repeat(limit + extra);
          const text = JSON.stringify(withField(path, value));
          const answer = await postRaw(text);
          if (Buffer.byteLength(text) > BODY_LIMIT) {
            expectClientError(answer, { status: 413 });
            expect(answer.body.error.code).toBe('payload_too_large');
          } else {
            expectClientError(answer, { status: 400, field: path });
          }
        }),
        { numRuns: RUNS },
      );
      // Above API Gateway's own 10 MB limit the gateway refuses before any Lambda runs.
      const gatewayLimit = await postRaw(JSON.stringify(withField('userId', 'x'.repeat(10 * 1024 * 1024 + 1))));
      expectClientError(gatewayLimit, { status: 413 });
      expect(gatewayLimit.body).toEqual({ message: 'Request Entity Too Large' });
    });
  });

  it('refuses control characters, separators, bidi controls, lone surrogates and non-NFC text in identifiers', async () => {
    const refused = fc
      .oneof(
        fc.integer({ min: 0, max: 0x1f }),
        fc.integer({ min: 0x7f, max: 0x9f }),
        fc.constantFrom(0x2028, 0x2029, 0x061c, 0x200e, 0x200f),
        fc.integer({ min: 0x202a, max: 0x202e }),
        fc.integer({ min: 0x2066, max: 0x2069 }),
        fc.integer({ min: 0xd800, max: 0xdfff }),
      )
      .map((c) => String.fromCharCode(c));
    const withControl = fc.tuple(
      fc.constantFrom('userId', 'sessionId', 'context.deviceId', 'requestId'),
      fc.string({ maxLength: 10 }),
      fc.oneof(refused, fc.constant('e\u0301')),
      fc.string({ maxLength: 10 }),
    );
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(withControl, async ([path, before, bad, after]) => {
          expectClientError(await postRaw(JSON.stringify(withField(path, `${before}${bad}${after}`))), {
            status: 400,
            field: path,
          });
        }),
        { numRuns: RUNS },
      );
      // Full-width and Arabic-Indic digits look like an address to a human, not to the parser.
      for (const ip of ['１２.４５.１０.２０', '١٢.٤٥.١٠.٢٠', '12.45.10.２0', '12。45。10。20']) {
        expectClientError(await postRaw(JSON.stringify(withField('context.ip', ip))), {
          status: 400,
          field: 'context.ip',
        });
      }
    });
  });

  it('refuses __proto__, constructor and prototype keys at every level without polluting Object.prototype', async () => {
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype');
    const payload = fc.constantFrom(
      '{"polluted":"yes"}',
      '{"prototype":{"polluted":"yes"}}',
      '{"__proto__":{"polluted":"yes"}}',
      '{"toString":"boom","valueOf":1,"hasOwnProperty":null}',
      'null',
      '"yes"',
      '[{"polluted":"yes"}]',
    );
    // Written as JSON text (not built with objects) so the keys really reach JSON.parse and the validator.
    const attack = fc.tuple(key, payload, fc.constantFrom('root-first', 'root-last', 'context', 'context-nested'));
    const text = ([k, p, where]: [string, string, string]) => {
      const member = `"${k}":${p}`;
      const ctx = `"context":{"ip":"${NEW_YORK}","userAgent":"x"`;
      const head = `"userId":"proto@example.com","action":"auth.sign_in"`;
      if (where === 'root-first') return `{${member},${head},${ctx}}}`;
      if (where === 'root-last') return `{${head},${ctx}},${member}}`;
      if (where === 'context') return `{${head},${ctx},${member}}}`;
      return `{${head},${ctx},"deviceId":"d"},"extra":{${member}}}`;
    };
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(attack, async (parts) => {
          const answer = await postRaw(text(parts));
          expectClientError(answer, { status: 400 });
          expect(answer.body.error.code).toBe('invalid_request');
        }),
        { numRuns: RUNS },
      );
      for (const body of [
        '{"outcome":"failed","__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"x":1}}}',
      ]) {
        expectClientError(await postRaw(body, {}, `/v1/decisions/${ownDecisionId}/outcome`), { status: 400 });
      }
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses fields the API does not define (mass assignment), at the root and in context', async () => {
    const internal = fc.constantFrom(
      'decision',
      'score',
      'riskLevel',
      'policyVersion',
      'clientId',
      'isAdmin',
      'grant',
      'profile',
      'reasons',
      'failMode',
      'teaches',
    );
    const extra = fc.tuple(
      fc.constantFrom('', 'context.'),
      fc.oneof(internal, fc.string({ minLength: 1, maxLength: 12 })),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(extra, async ([prefix, name, value]) => {
          fc.pre(!['userId', 'action', 'sessionId', 'context', 'stepUpId', 'requestId'].includes(name));
          fc.pre(!['ip', 'userAgent', 'deviceId', 'timestamp'].includes(name) || prefix === '');
          const body = structuredClone(VALID);
          // defineProperty, so that even a name like "__proto__" becomes a real own key of the JSON text.
          Object.defineProperty(prefix === '' ? body : body.context, name, { value, enumerable: true });
          const answer = await postRaw(JSON.stringify(body));
          expectClientError(answer, { status: 400 });
          if (/^\w+$/.test(name)) expect(answer.body.error.message).toContain(name);
        }),
        { numRuns: RUNS },
      );
    });
  });

  it('refuses IPv4 and IPv6 near-misses with 400 on context.ip', async () => {
    const bumpOctet = (s: string) => s.replace(/\d+$/, (m) => String(Number(m) + 256));
    const v4 = fc.oneof(
      fc.ipV4Extended(),
      fc.ipV4().map(bumpOctet),
      fc.ipV4().map((s) => `${s}.`),
      fc.ipV4().map((s) => `.${s}`),
      fc.ipV4().map((s) => `${s}:443`),
      fc.ipV4().map((s) => `${s}/32`),
      fc.ipV4().map((s) => ` ${s}`),
      fc.ipV4().map((s) => `${s}\n`),
      fc.ipV4().map((s) => s.split('.').slice(0, 3).join('.')),
      fc.ipV4().map((s) => `${s}.1`),
      fc.ipV4().map((s) => `0${s}`),
      fc.ipV4().map((s) => s.replace('.', '..')),
      fc.ipV4().map((s) => `+${s}`),
    );
    const v6 = fc.oneof(
      fc.ipV6().map((s) => `${s}:1:2:3:4:5:6:7:8`),
      fc.ipV6().map((s) => s.replace(/:+/, ':::')),
      fc.ipV6().map((s) => `[${s}]`),
      fc.ipV6().map((s) => `${s}::1::`),
      fc.ipV6().map((s) => s.replace(/[0-9a-f]/, 'g')),
      fc.ipV6().map((s) => `12345:${s}`),
      fc.ipV6().map((s) => `${s}/64`),
      fc.constantFrom('::ffff:1.2.3.256', '1.2.3.4::', ':::', '1::2::3', '::ffff:01.2.3.4', 'fe80:::1', '2001:db8::1:'),
    );
    const random = fc.string({ maxLength: 70 });
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(v4, v6, random).filter((ip) => isIP(ip) === 0),
          async (ip) => {
            expectClientError(await postRaw(JSON.stringify(withField('context.ip', ip))), {
              status: 400,
              field: 'context.ip',
            });
          },
        ),
        { numRuns: RUNS * 2 },
      );
    });
  });

  it('refuses timestamps that are not ISO-8601 with an offset, or fall outside the accepted window', async () => {
    const nearMiss = fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .chain((d) => {
        const iso = d.toISOString();
        return fc.constantFrom(
          iso.replace('Z', ''),
          iso.replace('T', ' '),
          iso.slice(0, 10),
          iso.replace(/-\d\d-/, '-13-'),
          iso.replace(/-\d\dT/, '-32T'),
          iso.replace(/T\d\d/, 'T24'),
          iso.replace(/:\d\d\./, ':60.'),
          iso.replace('Z', '+25:00'),
          iso.replace('Z', '+0100'),
          iso.toLowerCase(),
          ` ${iso}`,
          `${iso} `,
          d.toUTCString(),
          String(d.getTime()),
        );
      });
    const outside = fc
      .oneof(
        fc.integer({ min: 24 * 3600_000 + 1, max: 400 * 24 * 3600_000 }).map((ms) => CLOCK - ms),
        fc.integer({ min: 5 * 60_000 + 1, max: 400 * 24 * 3600_000 }).map((ms) => CLOCK + ms),
      )
      .map((t) => new Date(t).toISOString());
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(nearMiss, outside), async (timestamp) => {
          expectClientError(await postRaw(JSON.stringify(withField('context.timestamp', timestamp))), {
            status: 400,
            field: 'context.timestamp',
          });
        }),
        { numRuns: RUNS },
      );
    });
  });

  it('refuses wrong content types, empty bodies and binary (base64) bodies without writing', async () => {
    const validText = JSON.stringify(VALID);
    await expectNoWrites(async () => {
      for (const type of [
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonx',
        'application/octet-stream',
        'image/png',
      ]) {
        const answer = await postRaw(validText, { 'content-type': type });
        expectClientError(answer, { status: 415 });
        expect(answer.body.error.code).toBe('unsupported_media_type');
      }
      // No content-type at all (a Buffer body makes fetch send none).
      const noType = await send(`${runtime.url}/v1/decisions`, {
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.from(validText),
      });
      expectClientError(noType, { status: 415 });
      for (const body of [undefined, '', ' ', '\n\t']) {
        expectClientError(await postRaw(body), { status: 400, field: 'body' });
      }
      // The gateway passes non-text bodies base64-encoded; a base64 text sent as JSON is just not JSON.
      expectClientError(await postRaw(Buffer.from(validText).toString('base64')), { status: 400, field: 'body' });
    });
  });

  it('decodes base64 events like API Gateway does and still validates them (handler in-process)', async () => {
    // The same composition the runtime wires, on the same tables, fed payload v2 events with isBase64Encoded.
    const { handler } = composeDecide({
      dynamo: runtime.context.dynamo,
      tables: runtime.context.tables,
      clock: () => CLOCK,
    });
    const invoke = async (body: string) => {
      const result = await handler(apiEvent({ routeKey: DECIDE_ROUTE, body, isBase64Encoded: true }), lambdaContext());
      return { status: result.statusCode ?? 0, text: result.body ?? '', body: JSON.parse(result.body ?? 'null') };
    };
    await expectNoWrites(async () => {
      const cases: [string, string][] = [
        [Buffer.from('{"userId":').toString('base64'), 'body'],
        ['!!!not base64 at all!!!', 'body'],
        [Buffer.from(JSON.stringify({ ...VALID, isAdmin: true })).toString('base64'), 'body'],
        [Buffer.from(JSON.stringify(withField('context.ip', '300.1.1.1'))).toString('base64'), 'context.ip'],
        [Buffer.from(JSON.stringify(withField('userId', 'a\u0000'))).toString('base64'), 'userId'],
      ];
      for (const [body, field] of cases) {
        const answer = await invoke(body);
        expect({ status: answer.status, field: answer.body?.error?.field }).toEqual({ status: 400, field });
      }
    });
    // And a valid base64 body is understood, not refused.
    expect((await invoke(Buffer.from(JSON.stringify(VALID)).toString('base64'))).status).toBe(200);
  });

  it('answers unrouted methods and paths like API Gateway (404), never 5xx', async () => {
    await expectNoWrites(async () => {
      for (const path of ['/v1/decisions', `/v1/decisions/${ownDecisionId}/outcome`]) {
        for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
          const answer = await send(`${runtime.url}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            ...(method === 'GET' ? {} : { body: JSON.stringify(VALID) }),
          });
          expectClientError(answer, { status: 404 });
          expect(answer.body).toEqual({ message: 'Not Found' });
        }
        const head = await fetch(`${runtime.url}${path}`, {
          method: 'HEAD',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(head.status).toBe(404);
      }
      for (const path of [
        '/v1/decisions/',
        '/v1/decision',
        '/v1//decisions',
        '/v2/decisions',
        '/v1/decisions/x/outcome/',
      ]) {
        expectClientError(await postRaw(JSON.stringify(VALID), {}, path), { status: 404 });
      }
    });
  });

  it('answers hostile decision ids and outcome bodies with 4xx and records no outcome', async () => {
    const outcomeUrl = (id: string) => `/v1/decisions/${id}/outcome`;
    const badBody = fc.oneof(
      fc.constantFrom(
        '{}',
        '{"outcome":"maybe"}',
        '{"outcome":"SUCCEEDED"}',
        '{"outcome":null}',
        '{"outcome":["failed"]}',
      ),
      fc.constantFrom('{"outcome":"failed","extra":1}', '{"outcome":"failed"', 'failed', '', '{"outcome":1}'),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ outcome: v })),
    );
    await expectNoWrites(async () => {
      await fc.assert(
        fc.asyncProperty(badBody, async (body) => {
          fc.pre(!['"succeeded"', '"failed"', '"abandoned"'].some((ok) => body === `{"outcome":${ok}}`));
          expectClientError(await postRaw(body, {}, outcomeUrl(ownDecisionId)), { status: 400 });
        }),
        { numRuns: RUNS },
      );
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter(encodable), async (id) => {
          fc.pre(id !== ownDecisionId);
          const answer = await postRaw('{"outcome":"failed"}', {}, outcomeUrl(encodeURIComponent(id)));
          expectClientError(answer, { status: 404 });
        }),
        { numRuns: RUNS },
      );
    });
  });

  // API Gateway passes a malformed escape through undecoded; the handler must treat it as an unknown id.
  it('answers malformed percent-encoding in a path parameter with a 4xx, not a 5xx', async () => {
    for (const id of ['%E0%A4%A', '%zz', '%', 'abc%2', '%C0%AF']) {
      expectClientError(await postRaw('{"outcome":"failed"}', {}, `/v1/decisions/${id}/outcome`));
    }
  });

  it('keeps odd but valid values (prototype names, unicode) as plain data: 200 and no pollution', async () => {
    // These pass validation, so they are decided and stored; they must stay data, never become object structure.
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
    // Identifiers must be NFC (decomposed text is refused, see the identifier test above); precomposed is fine.
    const unicode = [
      'ǅ𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
      'مرحبا@example.com',
      '\u200bzero\u200bwidth',
      '😀'.repeat(50),
      'café'.normalize('NFC'),
    ];
    const pairs = [
      ...names.flatMap((value) =>
        ['userId', 'sessionId', 'context.deviceId', 'context.userAgent'].map((path) => ({ value, path })),
      ),
      ...unicode.flatMap((value) => ['userId', 'context.userAgent'].map((path) => ({ value, path }))),
    ];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < pairs.length; i = next++) {
        const { value, path } = pairs[i]!;
        // Each pair on a user of its own so pairs can run side by side without racing on one profile.
        const request = withField(path, value);
        if (path !== 'userId') request.userId = `odd-${i}@example.com`;
        for (let round = 0; round < 2; round++) {
          // Twice: the second decision reads back the profile the first one stored under these names.
          const answer = await postRaw(JSON.stringify(request));
          expect({ value, path, status: answer.status, text: answer.text.slice(0, 200) }).toMatchObject({
            status: 200,
          });
          expect(reasonCodes(answer.body)).not.toContain('store.unavailable');
          // A device id spelled like a prototype key is learned like any other: known on the second visit.
          if (path === 'context.deviceId' && round === 1) {
            expect({ value, reasons: reasonCodes(answer.body) }).not.toEqual({
              value,
              reasons: expect.arrayContaining(['device.new']),
            });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // As an action name they are unknown actions (a lookup that walked the prototype chain would find them).
    for (const action of names) {
      const answer = await postRaw(JSON.stringify(withField('action', action)));
      expectClientError(answer, { status: 400, field: 'action' });
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
  });

  // The local Cognito emulator speaks Cognito's JSON protocol on the same port; its errors are `{"__type","message"}`.
  it('answers undecodable Basic client credentials at the token endpoint with 400 invalid_request', async () => {
    const post = (credentials: string) =>
      send(`${runtime.url}/oauth2/token`, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
    for (const credentials of [
      'local-app:%E0%A4%A',
      '%E0%A4%A:local-app-secret',
      'local-app:%',
      'local-app:%ZZ',
      'no-colon-at-all',
    ]) {
      const answer = await post(credentials);
      expect({ credentials, status: answer.status, error: answer.body?.error }).toEqual({
        credentials,
        status: 400,
        error: 'invalid_request',
      });
      expect(answer.body.error_description).toMatch(/Basic credentials/);
      expectNothingInternal(answer);
    }
    // Decodable but wrong is a failed authentication, as before; right still gets a token.
    expect(await post('local-app:wrong-secret')).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect((await post('local-app:local-app-secret')).status).toBe(200);
  });

  describe('Cognito wire protocol (local emulator)', () => {
    const cognito = (operation: string, body: string | undefined) =>
      send(`${runtime.url}/`, {
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        ...(body !== undefined ? { body } : {}),
      });
    const expectCognitoError = (answer: HttpAnswer) => {
      const summary = { status: answer.status, body: answer.text.slice(0, 200) };
      expect(summary.status).toBeGreaterThanOrEqual(400);
      expect(summary.status).toBeLessThan(500);
      expect(typeof answer.body?.__type).toBe('string');
      expect(typeof answer.body?.message).toBe('string');
      expect(answer.headers.get('x-amzn-errortype')).toBe(answer.body.__type);
      expectNothingInternal(answer);
    };
    const initiate = {
      AuthFlow: 'CUSTOM_AUTH',
      ClientId: 'local-web',
      AuthParameters: { USERNAME: 'alice@example.com' },
    };
    const respond = {
      ClientId: 'local-web',
      ChallengeName: 'CUSTOM_CHALLENGE',
      Session: 'not-a-session',
      ChallengeResponses: { USERNAME: 'alice@example.com', ANSWER: 'context' },
    };

    it('answers malformed, mistyped, oversized and unknown requests with a Cognito 4xx, writing nothing', async () => {
      const notAString = fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 2 }),
      );
      const notAMap = fc.oneof(fc.integer(), fc.string(), fc.array(fc.string(), { maxLength: 2 }));
      const badInitiate = fc.oneof(
        fc.tuple(fc.constantFrom('AuthFlow', 'ClientId'), notAString).map(([k, v]) => ({ ...initiate, [k]: v })),
        notAMap.map((v) => ({ ...initiate, AuthParameters: v })),
        notAString.filter((v) => v !== null).map((v) => ({ ...initiate, AuthParameters: { USERNAME: v } })),
        fc.constantFrom(
          { ...initiate, AuthParameters: {} },
          { ...initiate, ClientId: 'local-app' },
          { ...initiate, ClientId: 'x'.repeat(5000) },
          { ...initiate, AuthFlow: 'ADMIN_NO_SRP_AUTH' },
        ),
      );
      const badRespond = fc.oneof(
        fc.string({ maxLength: 300 }).map((Session) => ({ ...respond, Session })),
        notAMap.map((v) => ({ ...respond, ChallengeResponses: v })),
        fc
          .tuple(fc.constantFrom('ClientId', 'ChallengeName', 'Session'), notAString)
          .map(([k, v]) => ({ ...respond, [k]: v })),
      );
      await expectNoWrites(async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              badInitiate.map((b) => ['InitiateAuth', JSON.stringify(b)] as const),
              badRespond.map((b) => ['RespondToAuthChallenge', JSON.stringify(b)] as const),
              fc
                .string({ maxLength: 100 })
                .filter((t) => !parses(t) && t.trim() !== '')
                .map((t) => ['InitiateAuth', t] as const),
              fc.constantFrom('null', '[]', '"x"', '1').map((t) => ['RespondToAuthChallenge', t] as const),
              fc.string({ maxLength: 200 }).map((t) => ['GetUser', JSON.stringify({ AccessToken: t })] as const),
              fc
                .constantFrom('AdminInitiateAuth', 'SignUp', 'ListUsers', '__proto__', '')
                .map((op) => [op, '{}'] as const),
            ),
            async ([operation, text]) => expectCognitoError(await cognito(operation, text)),
          ),
          { numRuns: RUNS },
        );
        expectCognitoError(await cognito('InitiateAuth', JSON.stringify({ ...initiate, Pad: 'x'.repeat(300 * 1024) })));
      });
    });

    it('does not take a username smuggled through a prototype key', async () => {
      // If parameters were copied with [[Set]] semantics, USERNAME would be read from the smuggled prototype. The
      // password cases use local-script, the client that allows USER_PASSWORD_AUTH, so the parser is what is tested.
      for (const text of [
        '{"AuthFlow":"CUSTOM_AUTH","ClientId":"local-web","AuthParameters":{"__proto__":{"USERNAME":"admin@example.com"}}}',
        '{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":"local-script","AuthParameters":{"USERNAME":"admin@example.com","__proto__":{"PASSWORD":"Admin-Local-1!"}}}',
        '{"__proto__":{"AuthFlow":"USER_PASSWORD_AUTH"},"ClientId":"local-script","AuthParameters":{"USERNAME":"admin@example.com","PASSWORD":"Admin-Local-1!"}}',
      ]) {
        const answer = await cognito('InitiateAuth', text);
        expectCognitoError(answer);
        expect(answer.body.AuthenticationResult).toBeUndefined();
      }
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
    });
  });

  // Every user route of API_ROUTES (admin API, audit API, TOTP enrolment), iterated so new routes are covered, with
  // a valid staff token: only the input is wrong.
  describe('user routes (admin, audit, TOTP) with hostile input', () => {
    const staffToken = async () => {
      const { issuer, identities } = runtime.context;
      const admin = identities.users.find((u) => u.groups.includes('risk-admins'))!;
      return (await issuer.userTokens(admin, identities.webClient.clientId, Math.floor(CLOCK / 1000))).AccessToken;
    };
    const userRoutes = () => API_ROUTES.filter((r) => r.authorizer === 'user');
    const pathWith = (route: ApiRoute, param: string) =>
      route.path.replace(/\{(\w+)\}/g, () => encodeURIComponent(param));
    const hostileParams = ['probe', '-1', '1e309', '0x10', '..', '%00', 'x'.repeat(300), '__proto__', '😀'];

    it('answers hostile bodies with a 4xx and writes nothing, on every route that reads a body', async () => {
      const token = await staffToken();
      const bodies = [
        '{"policy":',
        'null',
        '[]',
        '"x"',
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '{"reason":7,"policy":{"version":"two"},"label":"fraud","note":{"x":1}}',
        `{"reason":"${'r'.repeat(20_000)}"}`,
        '\uFEFF{"reason":"bom"}',
      ];
      const call = (route: ApiRoute, path: string, body: string, ifMatch = '"1"') =>
        send(`${runtime.url}${path}`, {
          method: route.method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'if-match': ifMatch },
          body,
        });
      // Only routes that parse a body (400 on malformed JSON): a route that ignores its body (TOTP enrol) may
      // legitimately act on any request. Sorted out before the snapshot, since such a probe may write.
      const covered: ApiRoute[] = [];
      for (const route of userRoutes().filter((r) => r.method === 'POST' || r.method === 'PUT')) {
        if ((await call(route, pathWith(route, 'probe'), '{"x":')).status === 400) covered.push(route);
      }
      await expectNoWrites(async () => {
        for (const route of covered) {
          for (const body of bodies) {
            for (const param of route.path.includes('{') ? hostileParams.slice(0, 3) : ['']) {
              expectClientError(await call(route, pathWith(route, param), body));
            }
          }
          for (const ifMatch of ['W/"abc"', '"-1"', '99999999999999999999999', '*', '']) {
            expectClientError(await call(route, pathWith(route, 'probe'), '{"__proto__":{}}', ifMatch));
          }
        }
      });
      expect(covered.length).toBeGreaterThan(0);
      console.info(`hostile bodies sent to: ${covered.map((r) => `${r.method} ${r.path}`).join(', ')}`);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
    });

    it('answers a forged or altered audit export cursor with 400 naming cursor, and writes nothing', async () => {
      const token = await staffToken();
      const get = (path: string) =>
        send(`${runtime.url}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      const day = new Date(CLOCK).toISOString().slice(0, 10);
      // A real second page exists (the decisions made above), so the route pages at all.
      const first = await get(`/v1/admin/audit?from=${day}&to=${day}&limit=1`);
      expect(first.status).toBe(200);
      const genuine = first.headers.get('x-next-cursor')!;
      expect(genuine).toMatch(/^[A-Za-z0-9_-]+$/);
      // What a client could build without the server's key: the cursor's state with another start key, in the
      // plain base64url JSON a cursor used to be. `q` is the query's fingerprint, computed as the reader does.
      const fromMs = Date.parse(`${day}T00:00:00.000Z`);
      const fingerprint = (subject = '') =>
        createHash('sha256')
          .update(`${fromMs}|${fromMs + 86_400_000}|${subject}`)
          .digest('base64url')
          .slice(0, 16);
      const plain = (state: unknown) => Buffer.from(JSON.stringify(state)).toString('base64url');
      const keys: unknown[] = [
        {},
        { pk: { S: 'x' } },
        { pk: { N: '1' }, sk: { S: 'SEQ#000000000001' } },
        {
          pk: { S: 'CHAIN#x' },
          sk: { S: 'SEQ#000000000001' },
          gsi1pk: { S: 'DAY#2020-01-01' },
          gsi1sk: { S: '2020-01-01T00:00:00.000Z#x#000000000001' },
        },
      ];
      const forged = [
        ...keys.map((k) => ['', plain({ v: 1, q: fingerprint(), d: day, k })] as const),
        ...keys.map((k) => ['fuzz@example.com', plain({ v: 1, q: fingerprint('fuzz@example.com'), k })] as const),
        ['', `${genuine.slice(0, 8)}${genuine[8] === 'A' ? 'B' : 'A'}${genuine.slice(9)}`] as const,
        ['', genuine.slice(0, -1)] as const,
      ];
      await expectNoWrites(async () => {
        for (const [subject, cursor] of forged) {
          const query = new URLSearchParams({ from: day, to: day, cursor, ...(subject ? { subject } : {}) });
          const answer = await get(`/v1/admin/audit?${query.toString()}`);
          expect({ cursor: cursor.slice(0, 60), status: answer.status }).toEqual({
            cursor: cursor.slice(0, 60),
            status: 400,
          });
          expectClientError(answer, { status: 400, field: 'cursor' });
        }
      });
      const next = await get(`/v1/admin/audit?from=${day}&to=${day}&limit=1&cursor=${genuine}`);
      expect(next.status).toBe(200);
    });

    it('signs every paged admin route with one codec: a cursor opens only in the listing that made it', async () => {
      const token = await staffToken();
      const get = (path: string) =>
        send(`${runtime.url}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      const day = new Date(CLOCK).toISOString().slice(0, 10);
      const user = encodeURIComponent('fuzz@example.com');
      const userPage = await get(`/v1/admin/users/${user}/events?limit=1`);
      expect(userPage.status).toBe(200);
      const userCursor = userPage.body.cursor as string;
      const auditCursor = (await get(`/v1/admin/audit?from=${day}&to=${day}&limit=1`)).headers.get('x-next-cursor')!;
      expect(userCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      await expectNoWrites(async () => {
        for (const path of [
          `/v1/admin/users/${user}/events?cursor=${auditCursor}`,
          `/v1/admin/users/${encodeURIComponent('other@example.com')}/events?cursor=${userCursor}`,
          `/v1/admin/events?cursor=${userCursor}`,
          `/v1/admin/audit?from=${day}&cursor=${userCursor}`,
        ]) {
          expectClientError(await get(path), { status: 400, field: 'cursor' });
        }
      });
      expect((await get(`/v1/admin/users/${user}/events?limit=1&cursor=${userCursor}`)).status).toBe(200);
    });

    it('answers hostile path parameters and query strings on GET routes without a 5xx', async () => {
      const token = await staffToken();
      const queries = [
        'from=abc&to=-1',
        'from=1e309&to=NaN&limit=-5',
        'limit=100000000000000000000&cursor=!!!not-a-cursor!!!',
        'cursor=eyJfX3Byb3RvX18iOnsicG9sbHV0ZWQiOiJ5ZXMifX0',
        'subject=%00&subject=x&__proto__[polluted]=yes',
        `subject=${'s'.repeat(5000)}`,
        'from=2026-11-29T10:00:00Z&to=2020-01-01T00:00:00Z',
      ];
      for (const route of userRoutes().filter((r) => r.method === 'GET')) {
        for (const param of route.path.includes('{') ? hostileParams : ['']) {
          for (const query of queries) {
            const answer = await send(`${runtime.url}${pathWith(route, param)}?${query}`, {
              method: 'GET',
              headers: { authorization: `Bearer ${token}` },
            });
            const where = { route: route.path, param: param.slice(0, 20), query: query.slice(0, 40) };
            expect({ ...where, below500: answer.status < 500 }).toEqual({ ...where, below500: true });
            if (answer.status >= 400) expectClientError(answer);
          }
        }
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('judges a user id alike as a decision field and as an admin path parameter (one validator)', async () => {
      const token = await staffToken();
      const lookUp = (userId: string) =>
        send(`${runtime.url}/v1/admin/users/${encodeURIComponent(userId)}/events`, {
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
        });
      for (const refused of ['a\u0085b', 'x\u2028y', 'admin\u202egnp', 'e\u0301', 'a\u009fb']) {
        expectClientError(await postRaw(JSON.stringify(withField('userId', refused))), {
          status: 400,
          field: 'userId',
        });
        expectClientError(await lookUp(refused), { status: 400, field: 'userId' });
      }
      for (const accepted of ['café@example.com', '山田@example.com']) {
        expect((await postRaw(JSON.stringify(withField('userId', accepted)))).status).toBe(200);
        const history = await lookUp(accepted);
        expect(history.status).toBe(200);
        expect(history.body.events).toHaveLength(1);
      }
    });
  });

  it('leaves Object.prototype untouched after the whole run', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNamesBefore);
    const probe: Record<string, unknown> = {};
    for (const name of ['polluted', 'x', 'isAdmin', 'prototype']) expect(probe[name]).toBeUndefined();
    expect(typeof Object.prototype.toString).toBe('function');
  });
});

afterAll(() => console.info(trafficSummary('bad-input')));
