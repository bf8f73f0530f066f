import { KEY_MAPS, contextKeys } from '../risk/context-keys';
import { emptyMaps } from '../risk/profile';
import type {
  EvaluationInput,
  GlobalStats,
  GrantInfo,
  Policy,
  RequestFeatures,
  SightingMap,
  UserProfile,
  VelocityCounts,
} from '../risk/types';

/**
 * What a decision stores so that the engine can be re-run on it later under another policy (simulate, shadow
 * checks): the engine's `EvaluationInput` minus the policy and minus what the decision record keeps anyway
 * (user, action, time, features).
 *
 * The user's profile is not stored whole. `projectProfile` keeps only the entries the signals can read for this
 * request's context (its device, IP, network, places, user agent levels), one witness entry for each map that is
 * not empty (signals ask "has this user any trusted device at all?"), the trusted-session count and the last
 * trusted location. Which entries a signal reads depends on the request, never on the policy, so the projection
 * scores exactly like the full profile under every policy (property-tested), at a fraction of the size (well under
 * 2 KB instead of up to 20 KB) and without copying the user's whole history into every decision record.
 */
export const REPLAY_INPUT_VERSION = 1;

export interface ReplayInput {
  readonly v: typeof REPLAY_INPUT_VERSION;
  readonly profile?: UserProfile;
  readonly velocity: VelocityCounts;
  readonly global: GlobalStats;
  readonly grant?: GrantInfo;
  /** The request's session, which a session-bound grant is checked against. */
  readonly sessionId?: string;
  readonly threat?: { attackIp?: boolean };
}

function put(map: SightingMap, key: string, value: SightingMap[string]): void {
  // defineProperty: a key such as "__proto__" must stay an ordinary entry.
  Object.defineProperty(map, key, { value: { ...value }, enumerable: true, writable: true, configurable: true });
}

/** The part of `profile` the signals can read for a request with these features (see the module comment). */
export function projectProfile(profile: UserProfile, features: RequestFeatures): UserProfile {
  const keys = contextKeys(features);
  const family = features.device.uaFamily;
  const trusted = emptyMaps();
  for (const [keyName, mapName] of KEY_MAPS) {
    const source = profile.trusted?.[mapName];
    if (source === undefined) continue;
    const target = trusted[mapName];
    const key = keys[keyName];
    if (key !== undefined && Object.hasOwn(source, key)) put(target, key, source[key]!);
    if (mapName === 'browsers' && family !== undefined) {
      // The device signal matches browser keys by family prefix ("Chrome" knows "Chrome 120"): keep them all.
      for (const k of Object.keys(source)) if (k.startsWith(family)) put(target, k, source[k]!);
    }
    if (Object.keys(target).length === 0) {
      const witness = Object.keys(source).sort()[0];
      if (witness !== undefined) put(target, witness, source[witness]!);
    }
  }
  return {
    schemaVersion: profile.schemaVersion,
    createdAt: profile.createdAt,
    trustedEvents: profile.trustedEvents,
    trusted,
    unverified: emptyMaps(),
    ...(profile.lastTrusted ? { lastTrusted: { ...profile.lastTrusted } } : {}),
  };
}

/** What to store with a decision, from the exact input the engine evaluated. */
export function replayInputOf(input: EvaluationInput): ReplayInput {
  return {
    v: REPLAY_INPUT_VERSION,
    ...(input.profile ? { profile: projectProfile(input.profile, input.features) } : {}),
    velocity: { ...input.velocity },
    global: { ...input.global },
    ...(input.grant ? { grant: { ...input.grant } } : {}),
    ...(input.grant && input.sessionId !== undefined ? { sessionId: input.sessionId } : {}),
    ...(input.threat ? { threat: { ...input.threat } } : {}),
  };
}

/** The recorded facts of a decision that the replay input completes. */
export interface RecordedRequest {
  readonly userId: string;
  readonly action: string;
  /** Epoch ms: the time the engine was given. */
  readonly at: number;
  readonly features: RequestFeatures;
}

/** Rebuilds the engine input of a recorded decision, under `policy`. */
export function evaluationInputFrom(request: RecordedRequest, replay: ReplayInput, policy: Policy): EvaluationInput {
  return {
    userId: request.userId,
    action: request.action,
    now: request.at,
    ...(replay.sessionId !== undefined ? { sessionId: replay.sessionId } : {}),
    features: request.features,
    ...(replay.profile ? { profile: replay.profile } : {}),
    velocity: replay.velocity,
    global: replay.global,
    ...(replay.grant ? { grant: replay.grant } : {}),
    ...(replay.threat ? { threat: replay.threat } : {}),
    policy,
  };
}

/** Accepts a stored replay input only in a version this code knows; anything else is "not replayable". */
export function isReplayInput(value: unknown): value is ReplayInput {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ReplayInput>;
  return v.v === REPLAY_INPUT_VERSION && typeof v.velocity === 'object' && typeof v.global === 'object';
}
