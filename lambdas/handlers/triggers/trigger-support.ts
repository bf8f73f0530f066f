import type { AuditEvent } from '../../core/audit/audit-event';
import type { StepUpMethod } from '../../core/step-up/challenge-policy';
import type { AuditLog } from '../../ports/audit-log';
import type { Log } from '../../ports/log';
import type { TokenVerifier } from '../../ports/token-verifier';

/**
 * What the five Cognito triggers share. Nothing in here ever puts a whole event in a log line: events carry
 * private challenge parameters (the expected answer), the user's answers and, in ClientMetadata, tokens.
 */

/** A Cognito trigger: Cognito sends the event and reads `response` from the event the function returns. */
export type CognitoTrigger<E> = (event: E) => Promise<E>;

/** The fields every user-pool trigger event has, read defensively: Cognito may add fields at any time. */
export interface TriggerEventBase {
  readonly version?: string;
  readonly region: string;
  readonly userPoolId: string;
  readonly userName: string;
  readonly callerContext: { readonly awsSdkVersion?: string; readonly clientId: string };
  readonly triggerSource: string;
}

/**
 * Verifies an access token presented in ClientMetadata, like API Gateway's JWT authorizer would for this pool:
 * the pool's issuer, the app client running the sign-in as audience, `token_use` access.
 */
export type TokenVerifierProvider = (pool: { region: string; userPoolId: string; clientId: string }) => TokenVerifier;

/** Sign-in decision tokens: the issuer the decision API signs with, and the shared HS256 key. */
export interface DecisionTokenSettings {
  readonly issuer: string;
  readonly key: () => Promise<Uint8Array>;
}

/** OIDC `amr` values (RFC 8176 where one exists) per step-up method. */
export const AMR_BY_METHOD: Readonly<Record<StepUpMethod, readonly string[]>> = {
  email_otp: ['otp', 'email'],
  sms_otp: ['otp', 'sms'],
  totp: ['otp', 'totp'],
};

/**
 * Claims the pre-token trigger adds. Not `acr`/`amr`: Cognito refuses to let a trigger add or override `acr`,
 * `amr`, `auth_time` and the other registered claims it owns, so the step-up's level and methods travel under
 * their own names.
 */
export const STEP_UP_CLAIMS = {
  id: 'step_up_id',
  acr: 'step_up_acr',
  amr: 'step_up_amr',
  at: 'step_up_at',
} as const;

const USER_ATTRIBUTE_LIMIT = 256;

function attribute(attributes: unknown, name: string): string | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const value = (attributes as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 && value.length <= USER_ATTRIBUTE_LIMIT ? value : undefined;
}

export function userAttribute(event: { request: object }, name: string): string | undefined {
  return attribute((event.request as { userAttributes?: unknown }).userAttributes, name);
}

/**
 * The ids the decision API may know this Cognito user by: the username, the immutable `sub`, and the e-mail
 * address once verified (apps commonly pass the e-mail as `userId`). An unverified address is left out: anyone
 * can type someone else's address into their own profile.
 */
export function userIdentifiers(event: TriggerEventBase & { request: object }): string[] {
  const ids = [event.userName];
  const sub = userAttribute(event, 'sub');
  if (sub) ids.push(sub);
  const email = userAttribute(event, 'email');
  if (email && userAttribute(event, 'email_verified') === 'true') ids.push(email);
  return [...new Set(ids.filter((id) => typeof id === 'string' && id.length > 0))];
}

export function clientMetadataOf(event: { request: object }): unknown {
  return (event.request as { clientMetadata?: unknown }).clientMetadata;
}

export function isUserNotFound(event: { request: object }): boolean {
  return (event.request as { userNotFound?: unknown }).userNotFound === true;
}

/** Audit is evidence, not a gate: a failed append is reported (metric + log) and the ceremony goes on. */
export async function recordAudit(
  audit: AuditLog | undefined,
  event: AuditEvent,
  log: Log,
  onFailure?: () => void,
): Promise<void> {
  if (!audit) return;
  try {
    await audit.append(event);
  } catch (error) {
    onFailure?.();
    log.error('audit append failed', {
      kind: event.kind,
      eventId: event.eventId,
      error: (error as Error)?.name,
    });
  }
}

export function auditActor(event: TriggerEventBase): AuditEvent['actor'] {
  return { type: 'cognito', id: event.callerContext?.clientId || 'unknown-client' };
}
