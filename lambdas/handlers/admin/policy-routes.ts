import { z } from 'zod';
import { activePolicy, POLICY_PROPAGATION_SECONDS } from '../../application/policy-change/active-policy';
import { changePolicy } from '../../application/policy-change/change-policy';
import { approveChange, rejectChange } from '../../application/policy-change/review-change';
import { callerOf } from '../http/caller';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import {
  expectedVersion,
  noteField,
  POLICY_BODY_BYTES,
  policyDocument,
  reasonField,
  versionParam,
} from './admin-request';
import type { PolicyResponse, PutPolicyResponse, ReviewResponse } from './responses';

export const putPolicyBody = z.strictObject({ policy: policyDocument, reason: reasonField });
export const reviewBody = z.strictObject({ note: noteField.optional() });

/**
 * The active policy and its changes: read it (`ETag` = version), change it (`If-Match`, a reason; applied at once,
 * or 202 while a second person must approve), approve or reject a pending change.
 */
export function policyRoutes(ctx: AdminContext) {
  return {
    'GET /v1/admin/policy': route({}, async () => {
      const record = await activePolicy(ctx);
      return json(
        200,
        {
          version: record.version,
          policy: record.policy,
          updatedAt: record.updatedAt,
          updatedBy: record.updatedBy,
          ...(record.reason ? { reason: record.reason } : {}),
        } satisfies PolicyResponse,
        { etag: `"${record.version}"`, 'cache-control': 'no-store' },
      );
    }),

    'PUT /v1/admin/policy': route({ body: putPolicyBody, maxBodyBytes: POLICY_BODY_BYTES }, async ({ body, event }) => {
      const result = await changePolicy(ctx, {
        actor: callerOf(event),
        expectedVersion: expectedVersion(event),
        document: body.policy,
        reason: body.reason,
      });
      const { version } = result;
      switch (result.outcome) {
        case 'unchanged':
          return json(200, { version, unchanged: true } satisfies PutPolicyResponse, { etag: `"${version}"` });
        case 'applied':
          return json(
            200,
            { version, effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS } satisfies PutPolicyResponse,
            {
              etag: `"${version}"`,
              location: `/v1/admin/policy/versions/${version}`,
            },
          );
        case 'pending_approval':
          return json(202, {
            version,
            status: 'pending_approval',
            approvalRequiredBecause: result.because,
            ...(result.weakening.length > 0 ? { weakening: result.weakening } : {}),
            ...(result.backtest ? { backtest: result.backtest } : {}),
            approve: `/v1/admin/policy/pending/${version}/approve`,
            reject: `/v1/admin/policy/pending/${version}/reject`,
          } satisfies PutPolicyResponse);
      }
    }),

    'POST /v1/admin/policy/pending/{version}/approve': route({ body: reviewBody }, async ({ body, event }) => {
      const { version } = await approveChange(ctx, {
        actor: callerOf(event),
        version: versionParam(event),
        ...(body.note ? { note: body.note } : {}),
      });
      return json(200, { version, effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS } satisfies ReviewResponse, {
        etag: `"${version}"`,
      });
    }),

    'POST /v1/admin/policy/pending/{version}/reject': route({ body: reviewBody }, async ({ body, event }) => {
      const { version } = await rejectChange(ctx, {
        actor: callerOf(event),
        version: versionParam(event),
        ...(body.note ? { note: body.note } : {}),
      });
      return json(200, { version, status: 'rejected' } satisfies ReviewResponse);
    }),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
