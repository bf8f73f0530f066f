import { z } from 'zod';
import { generatedIdSchema, identifierSchema } from '../contracts/identifiers';
import { parseIp } from '../core/net/ip';
import type { RequestFeatures } from '../core/risk/types';
import type { DecideResult, DecideWorkflow } from '../application/decide/decide-workflow';
import type { DecisionRequest } from '../application/decide/decision-request';
import type { RecordOutcome } from '../application/decide/record-outcome';
import type { Clock } from '../ports/clock';
import type { DeviceParser } from '../ports/device-parser';
import type { GeoLocator } from '../ports/geo-locator';
import type { Pseudonymizer } from '../ports/pseudonymizer';
import { ConflictError, InvalidRequestError, NotFoundError } from './http/api-errors';
import { callerOf } from './http/caller';
import { json, route, serveRoutes, type HttpLambda, type HttpResult } from './http/http-handler';
import { requestIdentifiers } from './request-identifiers';

/** How far a client's `context.timestamp` may lie from the server's clock. */
const TIMESTAMP_PAST_MS = 24 * 3600_000;
const TIMESTAMP_FUTURE_MS = 5 * 60_000;

export const decisionBody = z.strictObject({
  userId: identifierSchema(),
  action: z.string().min(1).max(128),
  sessionId: identifierSchema().optional(),
  context: z.strictObject({
    ip: z
      .string()
      .max(64)
      .refine((s) => parseIp(s) !== undefined, 'not a valid IPv4 or IPv6 address'),
    userAgent: z.string().max(2048).optional(),
    deviceId: identifierSchema().optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
  }),
  stepUpId: generatedIdSchema('step-up').optional(),
  requestId: identifierSchema(128).optional(),
});
export type DecisionRequestBody = z.infer<typeof decisionBody>;

export const outcomeBody = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'abandoned']),
});

export interface DecideHandlerDependencies {
  readonly decide: Pick<DecideWorkflow, 'decide' | 'failClosed'>;
  readonly outcomes: Pick<RecordOutcome, 'record'>;
  readonly geo: GeoLocator;
  readonly device: DeviceParser;
  readonly clock: Clock;
  /**
   * Keyed pseudonyms of identifiers (from the application secret): for the velocity counters and idempotency
   * digests always, for everything stored when the policy's `privacy.hashIdentifiers` is on.
   */
  readonly pseudonymizer: () => Promise<Pseudonymizer>;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

/** The engine's time: the client's `context.timestamp` when it sent one within bounds, else the server's. */
function decisionTime(timestamp: string | undefined, receivedAt: number): number {
  if (!timestamp) return receivedAt;
  const t = Date.parse(timestamp);
  if (t < receivedAt - TIMESTAMP_PAST_MS || t > receivedAt + TIMESTAMP_FUTURE_MS) {
    throw new InvalidRequestError(
      'context.timestamp: must be within the last 24 hours and at most 5 minutes ahead',
      'context.timestamp',
    );
  }
  return t;
}

function toHttp(result: DecideResult): HttpResult {
  switch (result.kind) {
    case 'decided':
    case 'failed_closed':
      return json(200, result.response);
    case 'replayed':
      return json(200, result.response, { 'idempotent-replay': 'true' });
    case 'request_id_reused':
      throw new ConflictError('requestId: already used for a different request', { field: 'requestId' });
  }
}

/**
 * POST /v1/decisions and POST /v1/decisions/{decisionId}/outcome: the HTTP edge of the decision workflow. It
 * validates the body, places the request on the clock, locates its address and parses its user agent, and turns
 * its identifiers into keyed pseudonyms before anything reaches the core; the workflow decides; the result is
 * mapped to HTTP here. A pseudonymizer that cannot be had (the application secret unreachable) fails closed like
 * an unreachable store.
 */
export function buildDecideHandler(deps: DecideHandlerDependencies): HttpLambda {
  const identifiersOf = requestIdentifiers();

  const decideRoute = route({ body: decisionBody }, async ({ body, event }) => {
    const caller = callerOf(event);
    const receivedAt = deps.clock();
    const at = decisionTime(body.context.timestamp, receivedAt);
    const features: RequestFeatures = {
      ip: body.context.ip,
      ...(body.context.deviceId ? { deviceId: body.context.deviceId } : {}),
      geo: deps.geo.locate(body.context.ip),
      device: deps.device.parse(body.context.userAgent),
    };
    // The body schema accepts only addresses that parse.
    const address = parseIp(body.context.ip)!;
    let ids;
    try {
      ids = identifiersOf(await deps.pseudonymizer());
    } catch (error) {
      return toHttp(deps.decide.failClosed(body.action, error));
    }
    const request: DecisionRequest = {
      userId: body.userId,
      action: body.action,
      ...(body.sessionId ? { sessionId: body.sessionId } : {}),
      ...(body.stepUpId ? { stepUpId: body.stepUpId } : {}),
      ...(body.requestId ? { requestId: body.requestId } : {}),
      clientId: caller.clientId ?? caller.subject,
      receivedAt,
      at,
      features,
      address,
      identity: { ...ids.identify(features, address), pseudonym: (kind, key) => ids.pseudonym(kind, key) },
      // Keyed: the body holds the raw address, device id and user agent, and an unkeyed hash of it would be
      // reversed by enumerating addresses and common user agents.
      bodyDigest: ids.bodyDigest(JSON.stringify(body)),
    };
    return toHttp(await deps.decide.decide(request));
  });

  const outcomeRoute = route({ body: outcomeBody }, async ({ body, event }) => {
    const decisionId = event.pathParameters?.decisionId ?? '';
    const caller = callerOf(event);
    const result = await deps.outcomes.record({
      decisionId,
      clientId: caller.clientId ?? caller.subject,
      outcome: body.outcome,
    });
    if (result === 'not_found') throw new NotFoundError('decision not found');
    if (result === 'conflict')
      throw new ConflictError('outcome: a different outcome was already reported for this decision');
    return json(200, { decisionId, outcome: body.outcome });
  });

  return serveRoutes(
    'decide',
    { 'POST /v1/decisions': decideRoute, 'POST /v1/decisions/{decisionId}/outcome': outcomeRoute },
    deps.logError ? { logError: deps.logError } : {},
  );
}
