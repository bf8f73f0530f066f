import { z } from 'zod';
import { generatedIdSchema } from '../../contracts/identifiers';
import { STEP_UP_METHODS, type StepUpMethod } from './challenge-policy';

/**
 * The ClientMetadata a client sends with RespondToAuthChallenge (the context and code rounds). It is entirely
 * client-controlled: parsing only establishes shape and size; the tokens in it are verified by the triggers.
 *
 * Unknown keys are ignored (Cognito and SDKs may add their own), but the keys read here must be well formed, and
 * exactly one credential must be present, so an ambiguous request cannot make two code paths disagree about
 * whose step-up this is.
 */

export const CLIENT_METADATA_LIMITS = {
  stepUpIdLength: 128,
  /** Cognito access tokens with many groups reach a few kB. */
  accessTokenLength: 8192,
  decisionTokenLength: 4096,
} as const;

const JWT_PATTERN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export type StepUpClientMetadata =
  /** A signed-in user elevating: the access token proves who they are. */
  | { kind: 'step_up'; stepUpId: string; accessToken: string; method: StepUpMethod }
  /** A sign-in: the decision token carries the decision (and the step-up id, which must agree if both are sent). */
  | { kind: 'sign_in'; stepUpId?: string; decisionToken: string; method: StepUpMethod };

export type ClientMetadataFailure =
  | 'missing'
  | 'invalid_step_up_id'
  | 'invalid_access_token'
  | 'invalid_decision_token'
  | 'invalid_method'
  | 'missing_credential'
  | 'ambiguous_credential'
  | 'missing_step_up_id';

export type ClientMetadataResult =
  { ok: true; value: StepUpClientMetadata } | { ok: false; reason: ClientMetadataFailure };

const schema = z.object({
  stepUpId: generatedIdSchema('step-up').optional(),
  accessToken: z.string().max(CLIENT_METADATA_LIMITS.accessTokenLength).regex(JWT_PATTERN).optional(),
  decisionToken: z.string().max(CLIENT_METADATA_LIMITS.decisionTokenLength).regex(JWT_PATTERN).optional(),
  method: z.enum(STEP_UP_METHODS),
});

const FIELD_FAILURE: Record<string, ClientMetadataFailure> = {
  stepUpId: 'invalid_step_up_id',
  accessToken: 'invalid_access_token',
  decisionToken: 'invalid_decision_token',
  method: 'invalid_method',
};

/** Never throws. Empty strings count as absent, since some clients send every key and blank the unused ones. */
export function parseClientMetadata(input: unknown): ClientMetadataResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, reason: 'missing' };
  const source = input as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(FIELD_FAILURE)) {
    if (!Object.prototype.hasOwnProperty.call(source, key)) continue;
    const value = source[key];
    if (value === '' || value === undefined || value === null) continue;
    picked[key] = value;
  }

  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    const reason = typeof field === 'string' ? FIELD_FAILURE[field] : undefined;
    return { ok: false, reason: reason ?? 'missing' };
  }

  const { stepUpId, accessToken, decisionToken, method } = parsed.data;
  if (accessToken !== undefined && decisionToken !== undefined) return { ok: false, reason: 'ambiguous_credential' };
  if (accessToken !== undefined) {
    if (stepUpId === undefined) return { ok: false, reason: 'missing_step_up_id' };
    return { ok: true, value: { kind: 'step_up', stepUpId, accessToken, method } };
  }
  if (decisionToken !== undefined) {
    const value: StepUpClientMetadata = { kind: 'sign_in', decisionToken, method };
    if (stepUpId !== undefined) value.stepUpId = stepUpId;
    return { ok: true, value };
  }
  return { ok: false, reason: 'missing_credential' };
}
