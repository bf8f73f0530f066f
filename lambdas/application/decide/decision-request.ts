import type { IpAddress } from '../../core/net/ip';
import type { Evaluation, RequestFeatures } from '../../core/risk/types';
import type { VelocityKeys } from '../../ports/decision-store';
import type { IdentifierKind } from '../../ports/pseudonymizer';

/**
 * A request's identifiers in the forms the decision needs, made at the edge (request-identifiers.ts) before
 * anything reaches the core: velocity subjects and the pseudonymous features are keyed pseudonyms, whatever the
 * privacy setting; `pseudonym` converts a stored profile when the setting changed.
 */
export interface RequestIdentity {
  readonly velocityKeys: VelocityKeys;
  readonly pseudonymous: RequestFeatures;
  pseudonym(kind: IdentifierKind, key: string): string;
}

/** One decision request as the HTTP edge hands it to the workflow: validated, timed, located and identified. */
export interface DecisionRequest {
  readonly userId: string;
  readonly action: string;
  readonly sessionId?: string;
  /** A completed step-up the app presents for redemption. */
  readonly stepUpId?: string;
  /** The app's idempotency key, as sent. */
  readonly requestId?: string;
  /** The calling app (its client id, or the token subject). */
  readonly clientId: string;
  /** Server time the request arrived (epoch ms): velocity buckets, caches and expiries run on it. */
  readonly receivedAt: number;
  /** The time the engine is given (epoch ms): the request's `context.timestamp` when sent, else `receivedAt`. */
  readonly at: number;
  /** The context as sent, located and parsed: raw identifiers. */
  readonly features: RequestFeatures;
  /** The client address (`features.ip`) parsed. */
  readonly address: IpAddress;
  readonly identity: RequestIdentity;
  /** Keyed digest of the request body: tells a retry from a reused request id without storing the body. */
  readonly bodyDigest: string;
}

/** The answer of `POST /v1/decisions` (and what a request id replays). */
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
