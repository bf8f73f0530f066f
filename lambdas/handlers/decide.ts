import { z } from 'zod';
import { UnknownActionError } from '../core/errors';
import { generatedIdSchema, identifierSchema, isGeneratedId } from '../core/identifier';
import { formatIp, parseIp, type IpAddress } from '../core/net/ip';
import { listEntriesContaining } from '../core/policy/compiled-policy';
import { contextKeysFor } from '../core/risk/context-keys';
import { evaluate } from '../core/risk/engine';
import { failClosed, type FailClosedCause } from '../core/risk/fail-closed';
import { learn, type FailureOrigin } from '../core/risk/learning';
import { hasPseudonyms, isPseudonym, pseudonymizeProfile, reidentifyProfile } from '../core/risk/pseudonyms';
import type { Evaluation, GrantInfo, RequestFeatures, UserProfile } from '../core/risk/types';
import { wwwAuthenticate } from '../core/risk/www-authenticate';
import type { Clock } from '../ports/clock';
import type {
  DecisionState,
  DecisionStore,
  DecisionWrite,
  FailureSource,
  Outcome,
  OutcomeStore,
  StoredStepUp,
} from '../ports/decision-store';
import type { DeviceParser } from '../ports/device-parser';
import type { GeoLocator } from '../ports/geo-locator';
import type { PolicyRecord } from '../ports/policy-store';
import type { ShadowCandidate } from '../ports/policy-admin-store';
import type { Pseudonymizer } from '../ports/pseudonymizer';
import { replayInputOf } from '../core/simulation/replay-input';
import { ConflictError, InvalidRequestError, NotFoundError } from './http/api-errors';
import { callerOf } from './http/caller';
import { httpHandler, json, type HttpLambda } from './http/http-handler';
import type { PolicyCache } from './policy-cache';
import { requestIdentifiers, type RequestIdentifiers } from './request-identifiers';

/** How long a pending step-up can be completed. The grant's own validity is the action level's max age. */
export const STEP_UP_TTL_MS = 10 * 60_000;
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
  /**
   * Keyed pseudonyms of identifiers (from the application secret): for the velocity counters and idempotency
   * digests always, for everything stored when the policy's `privacy.hashIdentifiers` is on.
   */
  readonly pseudonymizer: () => Promise<Pseudonymizer>;
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
    ...(stepUp.sessionId ? { sessionId: stepUp.sessionId } : {}),
  };
}

/**
 * POST /v1/decisions and POST /v1/decisions/{decisionId}/outcome. One read round trip (BatchGet, the policy riding
 * along when the cache is stale), a pure evaluation, one write round trip. Fails closed: when the store cannot be
 * reached the answer comes from the policy's failMode, never `allow` for medium and above.
 */
export function buildDecideHandler(deps: DecideDependencies): HttpLambda {
  const logError = deps.logError ?? ((summary) => console.error(JSON.stringify({ level: 'ERROR', ...summary })));
  const identifiersOf = requestIdentifiers();

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
    const raw: RequestFeatures = {
      ip: body.context.ip,
      ...(body.context.deviceId ? { deviceId: body.context.deviceId } : {}),
      geo: deps.geo.locate(body.context.ip),
      device: deps.device.parse(body.context.userAgent),
    };
    // The body schema accepts only addresses that parse.
    const address = parseIp(body.context.ip)!;
    let ids: RequestIdentifiers;
    try {
      ids = identifiersOf(await deps.pseudonymizer());
    } catch (error) {
      return failClosedResponse(body, error);
    }
    const { velocityKeys, pseudonymous } = ids.identify(raw, address);
    const idempotencyKey = body.requestId ? `${clientId}#${body.requestId}` : undefined;
    // Keyed: the body holds the raw address, device id and user agent, and an unkeyed hash of it would be reversed
    // by enumerating addresses and common user agents.
    const hash = ids.bodyDigest(JSON.stringify(body));

    // The first read counts this request in the velocity windows; retries reuse those counts (a retry is not a
    // new request, and its own read would see this request's increment).
    let velocity: DecisionState['velocity'] | undefined;
    for (let attempt = 0; ; attempt++) {
      const cached = deps.policyCache.fresh(serverNow);
      // Which form the records are in depends on the policy; when it rides along in this very read, the population
      // counters of both forms are read (the coarse levels are shared, so only the identifier levels double).
      const readHashed = cached?.policy.privacy.hashIdentifiers;
      const readForm = readHashed === false ? raw : pseudonymous;
      let state: DecisionState;
      try {
        state = await deps.store.load({
          userId: body.userId,
          features: readForm,
          ...(readHashed === undefined ? { alternativeFeatures: raw } : {}),
          velocityKeys,
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

      const hashed = policyRecord.policy.privacy.hashIdentifiers;
      // What is evaluated is what is stored: pseudonyms (with the list entries the address matched, for replays)
      // when the privacy setting is on, the raw request otherwise.
      const lists = hashed ? listEntriesContaining(policyRecord.policy, address) : [];
      const features: RequestFeatures = hashed ? { ...pseudonymous, ...(lists.length > 0 ? { lists } : {}) } : raw;
      const global = hashed || readHashed === false ? state.global : (state.globalAlternative ?? state.global);
      const converted = state.profile
        ? convertProfile(state.profile, hashed, ids, raw, pseudonymous, address)
        : undefined;
      const profile = converted ?? state.profile;
      const grant = attempt < 2 ? grantFrom(state.stepUp, body.userId) : undefined;
      const input = {
        userId: body.userId,
        action: body.action,
        now,
        ...(body.sessionId ? { sessionId: body.sessionId } : {}),
        features,
        ...(profile ? { profile } : {}),
        velocity,
        global,
        ...(grant ? { grant } : {}),
        policy: policyRecord.policy,
        // Lists are matched against the address itself; it is not part of anything stored.
        ...(hashed ? { address: body.context.ip } : {}),
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
          ...(features.deviceId ? { deviceId: features.deviceId } : {}),
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
      // Recorded as observed: values new to the profile wait until the user comes back with them on another day
      // (or passes a step-up), so an allowed takeover does not make the attacker's context familiar.
      const learned = evaluation.teaches
        ? learn(profile, features, now, 'observed', {
            learning: policyRecord.policy.learning,
            geo: policyRecord.policy.geo,
            afterFailures: velocity.userFailedSignIns > 0 || velocity.userFailedStepUps > 0,
          })
        : undefined;
      const nextProfile = learned && hashed ? { ...learned, pseudonymous: true as const } : (learned ?? converted);
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
        ...(nextProfile
          ? {
              profile: {
                next: nextProfile,
                expectedRevision: state.profileRevision,
                learned: learned !== undefined,
                ...(learned && profile ? { previous: profile } : {}),
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

  /**
   * A profile written under the other privacy setting, in this one's form (undefined when it already is): switched
   * on, every raw identifier becomes its pseudonym; switched off, this request's own pseudonyms get their raw keys
   * back. The conversion is written with the decision, learning or not.
   */
  function convertProfile(
    profile: UserProfile,
    hashed: boolean,
    ids: RequestIdentifiers,
    raw: RequestFeatures,
    pseudonymous: RequestFeatures,
    address: IpAddress,
  ): UserProfile | undefined {
    if (hashed) return pseudonymizeProfile(profile, (kind, key) => ids.pseudonym(kind, key));
    if (profile.pseudonymous !== true && !hasPseudonyms(profile)) return undefined;
    return reidentifyProfile(profile, contextKeysFor(raw, address), contextKeysFor(pseudonymous, undefined));
  }

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

  /**
   * The failed attempt's origin with its address's velocity subject: a stored decision holds the address raw or as
   * a pseudonym (privacy setting), the per-address counters always use the pseudonym. Without the key (secrets
   * unreachable) the user's own failure count still moves; only the per-address count is skipped.
   */
  async function failureSource(origin: FailureOrigin | undefined): Promise<FailureSource | undefined> {
    if (origin?.ip === undefined) return origin;
    if (isPseudonym(origin.ip)) return { ...origin, counterIp: origin.ip };
    const parsed = parseIp(origin.ip);
    if (parsed === undefined) return origin;
    try {
      return { ...origin, counterIp: identifiersOf(await deps.pseudonymizer()).pseudonym('ip', formatIp(parsed)) };
    } catch {
      return origin;
    }
  }

  const outcomeRoute = httpHandler({ body: outcomeBody, logError }, async ({ body, event }) => {
    const decisionId = event.pathParameters?.decisionId ?? '';
    const caller = callerOf(event);
    const decision = isGeneratedId(decisionId) ? await deps.store.getDecision(decisionId) : undefined;
    // Another app's decision is reported as missing: ids must not let one client probe another's traffic.
    if (!decision || decision.clientId !== (caller.clientId ?? caller.subject))
      throw new NotFoundError('decision not found');
    const now = deps.clock();
    const outcome: Outcome = body.outcome;
    const recorded = await deps.store.recordOutcome(decisionId, outcome, now);
    if (recorded === 'conflict')
      throw new ConflictError('outcome: a different outcome was already reported for this decision');
    if (recorded === 'recorded' && outcome === 'failed' && decision.action === 'auth.sign_in') {
      await deps.store.recordFailure(decision.userId, 'signIns', now, await failureSource(decision.origin));
    }
    return json(200, { decisionId, outcome });
  });

  return async (event, context) => {
    if (event.routeKey === 'POST /v1/decisions') return decideRoute(event, context);
    if (event.routeKey === 'POST /v1/decisions/{decisionId}/outcome') return outcomeRoute(event, context);
    return json(404, { error: { code: 'not_found', message: 'route not served by this function' } });
  };
}
