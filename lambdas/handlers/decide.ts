import { createHash } from 'node:crypto';
import { z } from 'zod';
import { UnknownActionError } from '../core/errors';
import { parseIp } from '../core/net/ip';
import { evaluate } from '../core/risk/engine';
import { failClosed, type FailClosedCause } from '../core/risk/fail-closed';
import { learn } from '../core/risk/learning';
import type { Evaluation, GrantInfo, RequestFeatures } from '../core/risk/types';
import { wwwAuthenticate } from '../core/risk/www-authenticate';
import type { Clock } from '../ports/clock';
import type {
  DecisionState,
  DecisionStore,
  DecisionWrite,
  Outcome,
  OutcomeStore,
  StoredStepUp,
} from '../ports/decision-store';
import type { DeviceParser } from '../ports/device-parser';
import type { GeoLocator } from '../ports/geo-locator';
import type { PolicyRecord } from '../ports/policy-store';
import type { ShadowCandidate } from '../ports/policy-admin-store';
import { replayInputOf } from '../core/simulation/replay-input';
import { ConflictError, InvalidRequestError, NotFoundError } from './http/api-errors';
import { callerOf } from './http/caller';
import { httpHandler, json, type HttpLambda } from './http/http-handler';
import type { PolicyCache } from './policy-cache';

/** How long a pending step-up can be completed. The grant's own validity is the action level's max age. */
export const STEP_UP_TTL_MS = 10 * 60_000;
const TIMESTAMP_PAST_MS = 24 * 3600_000;
const TIMESTAMP_FUTURE_MS = 5 * 60_000;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

const decisionBody = z.strictObject({
  userId: z.string().min(1).max(256).regex(NO_CONTROL_CHARS, 'must not contain control characters'),
  action: z.string().min(1).max(128),
  sessionId: z.string().min(1).max(256).regex(NO_CONTROL_CHARS, 'must not contain control characters').optional(),
  context: z.strictObject({
    ip: z
      .string()
      .max(64)
      .refine((s) => parseIp(s) !== undefined, 'not a valid IPv4 or IPv6 address'),
    userAgent: z.string().max(2048).optional(),
    deviceId: z.string().min(1).max(256).regex(NO_CONTROL_CHARS, 'must not contain control characters').optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
  }),
  stepUpId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w-]+$/, 'not a step-up id')
    .optional(),
  requestId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only')
    .optional(),
});
export type DecisionRequestBody = z.infer<typeof decisionBody>;

const outcomeBody = z.strictObject({
  outcome: z.enum(['succeeded', 'failed', 'abandoned']),
});

export interface DecisionResponse {
  decisionId: string;
  decision: Evaluation['decision'];
  score: number;
  riskLevel: Evaluation['riskLevel'];
  reasons: Evaluation['reasons'];
  policyVersion: number;
  stepUp?: { id: string; acrValues: string[]; maxAge: number; methods: string[]; expiresAt: string };
  wwwAuthenticate?: string;
  decisionToken?: string;
}

export interface ShadowScorer {
  /** Scores the same input under the candidate policy, if one is active; never throws, never slows the answer. */
  score(
    input: Parameters<typeof evaluate>[0],
  ): { policyVersion: number; decision: string; score: number; runId?: string } | undefined;
  /** The candidate as read with the policy (same read, same cache bound); `null` when no shadow run is active. */
  refresh?(candidate: ShadowCandidate | null): void;
}

export interface DecideDependencies {
  readonly store: DecisionStore & OutcomeStore;
  readonly policyCache: PolicyCache;
  /** Used when the store is unreachable and no policy was ever cached (cold start during an outage). */
  readonly fallbackPolicy: PolicyRecord;
  readonly geo: GeoLocator;
  readonly device: DeviceParser;
  readonly clock: Clock;
  readonly newId: () => string;
  /** Signs the short-lived sign-in decision token that the Cognito triggers verify (auth.sign_in only). */
  readonly signDecisionToken?: (claims: {
    sub: string;
    decisionId: string;
    decision: Evaluation['decision'];
    stepUpId?: string;
    score: number;
    policyVersion: number;
    now: number;
  }) => Promise<string>;
  readonly shadow?: ShadowScorer;
  readonly onDecision?: (decision: Evaluation['decision'], failedClosed: boolean) => void;
  readonly logError?: (summary: Record<string, unknown>) => void;
}

function bodyHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}

function grantFrom(stepUp: StoredStepUp | undefined, userId: string): GrantInfo | undefined {
  // Only a granted step-up of this very user counts; anything else is ignored, never trusted.
  if (!stepUp || stepUp.status !== 'granted' || stepUp.userId !== userId || stepUp.grantedAt === undefined)
    return undefined;
  return {
    stepUpId: stepUp.stepUpId,
    userId: stepUp.userId,
    action: stepUp.action,
    acr: stepUp.acr,
    grantedAt: stepUp.grantedAt,
    consumed: stepUp.consumed,
    ...(stepUp.deviceId ? { deviceId: stepUp.deviceId } : {}),
  };
}

/**
 * POST /v1/decisions and POST /v1/decisions/{decisionId}/outcome. One read round trip (BatchGet, the policy riding
 * along when the cache is stale), a pure evaluation, one write round trip. Fails closed: when the store cannot be
 * reached the answer comes from the policy's failMode, never `allow` for medium and above.
 */
export function buildDecideHandler(deps: DecideDependencies): HttpLambda {
  const logError = deps.logError ?? ((summary) => console.error(JSON.stringify({ level: 'ERROR', ...summary })));

  const decideRoute = httpHandler({ body: decisionBody, logError }, async ({ body, event }) => {
    const caller = callerOf(event);
    const clientId = caller.clientId ?? caller.subject;
    const serverNow = deps.clock();
    let now = serverNow;
    if (body.context.timestamp) {
      const t = Date.parse(body.context.timestamp);
      if (t < serverNow - TIMESTAMP_PAST_MS || t > serverNow + TIMESTAMP_FUTURE_MS) {
        throw new InvalidRequestError(
          'context.timestamp: must be within the last 24 hours and at most 5 minutes ahead',
          'context.timestamp',
        );
      }
      now = t;
    }
    const features: RequestFeatures = {
      ip: body.context.ip,
      ...(body.context.deviceId ? { deviceId: body.context.deviceId } : {}),
      geo: deps.geo.locate(body.context.ip),
      device: deps.device.parse(body.context.userAgent),
    };
    const idempotencyKey = body.requestId ? `${clientId}#${body.requestId}` : undefined;
    const hash = bodyHash(body);

    // The first read counts this request in the velocity windows; retries reuse those counts (a retry is not a
    // new request, and its own read would see this request's increment).
    let velocity: DecisionState['velocity'] | undefined;
    for (let attempt = 0; ; attempt++) {
      const cached = deps.policyCache.fresh(serverNow);
      let state: DecisionState;
      try {
        state = await deps.store.load({
          userId: body.userId,
          features,
          ...(body.stepUpId ? { stepUpId: body.stepUpId } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
          includePolicy: cached === undefined,
          now: serverNow,
          count: velocity === undefined,
        });
      } catch (error) {
        return failClosedResponse(body, error);
      }
      velocity ??= state.velocity;
      if (state.policy) deps.policyCache.accept(state.policy, serverNow);
      if (state.shadow !== undefined) deps.shadow?.refresh?.(state.shadow);
      const policyRecord = state.policy ?? cached ?? deps.policyCache.lastKnown() ?? deps.fallbackPolicy;
      if (state.replay) {
        if (state.replay.bodyHash !== hash) {
          throw new ConflictError('requestId: already used for a different request', { field: 'requestId' });
        }
        return json(200, state.replay.response, { 'idempotent-replay': 'true' });
      }
      if (!policyRecord.policy.actions[body.action]) throw new UnknownActionError(body.action);

      const grant = attempt < 2 ? grantFrom(state.stepUp, body.userId) : undefined;
      const input = {
        userId: body.userId,
        action: body.action,
        now,
        features,
        ...(state.profile ? { profile: state.profile } : {}),
        velocity,
        global: state.global,
        ...(grant ? { grant } : {}),
        policy: policyRecord.policy,
      };
      const evaluation = evaluate(input);
      const decisionId = deps.newId();
      const response: DecisionResponse = {
        decisionId,
        decision: evaluation.decision,
        score: evaluation.score,
        riskLevel: evaluation.riskLevel,
        reasons: evaluation.reasons,
        policyVersion: policyRecord.version,
      };
      let newStepUp: StoredStepUp | undefined;
      if (evaluation.decision === 'step_up' && evaluation.stepUp) {
        const expiresAt = serverNow + STEP_UP_TTL_MS;
        newStepUp = {
          stepUpId: deps.newId(),
          userId: body.userId,
          action: body.action,
          decisionId,
          acr: evaluation.stepUp.acr,
          methods: evaluation.stepUp.methods,
          maxAgeSeconds: evaluation.stepUp.maxAgeSeconds,
          status: 'pending',
          createdAt: serverNow,
          expiresAt,
          consumed: false,
          ...(body.context.deviceId ? { deviceId: body.context.deviceId } : {}),
          ...(body.sessionId ? { sessionId: body.sessionId } : {}),
          features,
          revision: 0,
        };
        response.stepUp = {
          id: newStepUp.stepUpId,
          acrValues: [evaluation.stepUp.acr],
          maxAge: evaluation.stepUp.maxAgeSeconds,
          methods: evaluation.stepUp.methods,
          expiresAt: new Date(expiresAt).toISOString(),
        };
        response.wwwAuthenticate = wwwAuthenticate(evaluation.stepUp);
      }
      if (body.action === 'auth.sign_in' && deps.signDecisionToken) {
        response.decisionToken = await deps.signDecisionToken({
          sub: body.userId,
          decisionId,
          decision: evaluation.decision,
          ...(newStepUp ? { stepUpId: newStepUp.stepUpId } : {}),
          score: evaluation.score,
          policyVersion: policyRecord.version,
          now: serverNow,
        });
      }
      const shadow = deps.shadow?.score(input);
      const write: DecisionWrite = {
        record: {
          decisionId,
          userId: body.userId,
          action: body.action,
          at: now,
          clientId,
          ...(body.sessionId ? { sessionId: body.sessionId } : {}),
          ...(body.requestId ? { requestId: body.requestId } : {}),
          features,
          evaluation,
          policyVersion: policyRecord.version,
          ...(newStepUp ? { stepUpId: newStepUp.stepUpId } : {}),
          ...(evaluation.grantRedeemed && grant ? { redeemedStepUpId: grant.stepUpId } : {}),
          ...(shadow ? { shadow } : {}),
          replay: replayInputOf(input),
        },
        response,
        ...(idempotencyKey ? { idempotencyKey, bodyHash: hash } : {}),
        ...(evaluation.teaches
          ? {
              profile: {
                // Recorded as observed: values new to the profile wait until the user comes back with them on
                // another day (or passes a step-up), so an allowed takeover does not make the attacker familiar.
                next: learn(state.profile, features, now, 'observed', {
                  learning: policyRecord.policy.learning,
                  geo: policyRecord.policy.geo,
                  afterFailures: velocity.userFailedSignIns > 0 || velocity.userFailedStepUps > 0,
                }),
                expectedRevision: state.profileRevision,
                ...(state.profile ? { previous: state.profile } : {}),
              },
            }
          : {}),
        ...(newStepUp ? { newStepUp } : {}),
        ...(evaluation.grantRedeemed &&
        grant &&
        evaluation.stepUp === undefined &&
        state.stepUp &&
        state.stepUp.maxAgeSeconds === 0
          ? { consumeGrant: { stepUpId: grant.stepUpId, expectedRevision: state.stepUp.revision } }
          : {}),
        retentionDays: policyRecord.policy.retention.riskHistoryDays,
        receivedAt: serverNow,
      };
      let result;
      try {
        result = await deps.store.commit(write);
      } catch (error) {
        return failClosedResponse(body, error, policyRecord);
      }
      // Races with a concurrent request of the same user or for the same grant: decide again on fresh state.
      if (result !== 'written' && attempt < 3) continue;
      if (result !== 'written') {
        const error = new Error(`decision write kept failing: ${result}`);
        return failClosedResponse(body, error, policyRecord, 'unrecorded');
      }
      deps.onDecision?.(evaluation.decision, false);
      return json(200, response);
    }
  });

  function failClosedResponse(
    body: DecisionRequestBody,
    error: unknown,
    known?: PolicyRecord,
    cause: FailClosedCause = 'store_unavailable',
  ) {
    const record = known ?? deps.policyCache.lastKnown() ?? deps.fallbackPolicy;
    if (!record.policy.actions[body.action]) throw new UnknownActionError(body.action);
    logError({ event: 'decision_failed_closed', name: (error as Error)?.name, message: (error as Error)?.message });
    const evaluation = failClosed(record.policy, body.action, cause);
    deps.onDecision?.(evaluation.decision, true);
    const response: DecisionResponse = {
      decisionId: deps.newId(),
      decision: evaluation.decision,
      score: evaluation.score,
      riskLevel: evaluation.riskLevel,
      reasons: evaluation.reasons,
      policyVersion: record.version,
      ...(evaluation.stepUp ? { wwwAuthenticate: wwwAuthenticate(evaluation.stepUp) } : {}),
    };
    return json(200, response);
  }

  const outcomeRoute = httpHandler({ body: outcomeBody, logError }, async ({ body, event }) => {
    const decisionId = event.pathParameters?.decisionId ?? '';
    const caller = callerOf(event);
    const decision = /^[\w-]{1,128}$/.test(decisionId) ? await deps.store.getDecision(decisionId) : undefined;
    // Another app's decision is reported as missing: ids must not let one client probe another's traffic.
    if (!decision || decision.clientId !== (caller.clientId ?? caller.subject))
      throw new NotFoundError('decision not found');
    const now = deps.clock();
    const outcome: Outcome = body.outcome;
    const recorded = await deps.store.recordOutcome(decisionId, outcome, now);
    if (recorded === 'conflict')
      throw new ConflictError('outcome: a different outcome was already reported for this decision');
    if (recorded === 'recorded' && outcome === 'failed' && decision.action === 'auth.sign_in') {
      await deps.store.recordFailure(decision.userId, 'signIns', now, decision.origin);
    }
    return json(200, { decisionId, outcome });
  });

  return async (event, context) => {
    if (event.routeKey === 'POST /v1/decisions') return decideRoute(event, context);
    if (event.routeKey === 'POST /v1/decisions/{decisionId}/outcome') return outcomeRoute(event, context);
    return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
  };
}
