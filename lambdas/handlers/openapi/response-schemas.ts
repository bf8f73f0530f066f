import { z } from 'zod';
import { STEP_UP_METHODS } from '../../core/policy/policy-schema';

/**
 * The bodies stepgate answers with, as zod schemas: the OpenAPI document is generated from them, and the tests parse
 * real answers with them, so the published description and what the API sends cannot drift apart.
 */

export const reasonSchema = z.strictObject({
  code: z.string().describe('stable, dotted reason code (docs/api.md lists them all)'),
  points: z.number().describe("this signal's contribution to the score (negative for an allow-listed IP)"),
  detail: z.string().describe('what the signal saw, for people (not for parsing)'),
});

export const decisionResponseSchema = z.strictObject({
  decisionId: z.string(),
  decision: z.enum(['allow', 'step_up', 'deny']),
  score: z.number().min(0).max(100),
  riskLevel: z.enum(['low', 'medium', 'high']),
  reasons: z.array(reasonSchema).describe('every point of the score, one entry per signal'),
  policyVersion: z.number().int().min(0),
  stepUp: z
    .strictObject({
      id: z.string().describe('pass it to Cognito (ClientMetadata.stepUpId), then back here as stepUpId'),
      acrValues: z.array(z.string()),
      maxAge: z.number().int().min(0).describe('seconds a passed step-up stays redeemable for this action'),
      methods: z.array(z.enum(STEP_UP_METHODS)),
      expiresAt: z.iso.datetime().describe('the step-up must be completed before this time'),
    })
    .optional()
    .describe('only with step_up: the step-up to carry out through Cognito custom auth'),
  wwwAuthenticate: z
    .string()
    .optional()
    .describe('only with step_up: an RFC 9470 challenge (insufficient_user_authentication) to relay to the client'),
  decisionToken: z
    .string()
    .optional()
    .describe('auth.sign_in only: a short-lived signed token the client passes to Cognito in ClientMetadata'),
});

export const outcomeResponseSchema = z.strictObject({
  decisionId: z.string(),
  outcome: z.enum(['succeeded', 'failed', 'abandoned']),
});

/** Every error a handler answers: a stable code, a message naming the field, and sometimes more details. */
export const apiErrorSchema = z.strictObject({
  error: z.looseObject({
    code: z.string().describe('invalid_request, unknown_action, invalid_policy, forbidden, not_found, conflict, ...'),
    message: z.string(),
    field: z.string().optional().describe('dotted path of the offending field, header or parameter'),
  }),
});

/** What API Gateway itself answers (authorizer refusals, unknown routes, oversized bodies). */
export const gatewayErrorSchema = z.strictObject({ message: z.string() });

export const auditVerifyResponseSchema = z.strictObject({
  ok: z.boolean(),
  chains: z.number().int().min(0),
  records: z.number().int().min(0),
  breaks: z.array(
    z.strictObject({
      chain: z.string(),
      seq: z.number().int(),
      kind: z.enum(['edited', 'deleted', 'inserted', 'reordered', 'gap']),
    }),
  ),
});
