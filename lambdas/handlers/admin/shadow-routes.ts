import { z } from 'zod';
import { POLICY_PROPAGATION_SECONDS } from '../../application/policy-change/active-policy';
import { shadowReport, startShadow, stopShadow } from '../../application/shadow/shadow-runs';
import type { ShadowRun } from '../../ports/policy-admin-store';
import { callerOf } from '../http/caller';
import { json, route, type RouteHandlers } from '../http/http-handler';
import type { AdminContext } from './admin-context';
import { POLICY_BODY_BYTES, policyDocument, query, readerOf, reasonField } from './admin-request';
import { chunkView } from './chunk-view';
import type { ShadowReportResponse, ShadowRunView, ShadowStatusResponse } from './responses';

export const shadowStartBody = z.strictObject({ policy: policyDocument, reason: reasonField });
export const shadowStopBody = z.strictObject({ reason: reasonField });

function runView(run: ShadowRun, withPolicy = false): ShadowRunView {
  return {
    runId: run.runId,
    status: run.status,
    candidateVersion: run.policy.version,
    startedAt: run.startedAt,
    startedBy: run.startedBy,
    reason: run.reason,
    ...(run.stoppedAt ? { stoppedAt: run.stoppedAt } : {}),
    ...(run.stoppedBy ? { stoppedBy: run.stoppedBy } : {}),
    ...(withPolicy ? { policy: run.policy } : {}),
  };
}

/** Shadow mode: a candidate scored beside the live policy on every decision, started, stopped and reported on. */
export function shadowRoutes(ctx: AdminContext) {
  return {
    'GET /v1/admin/shadow': route({}, async () => {
      const run = await ctx.policies.getShadow();
      return json(200, (run ? runView(run, true) : { status: 'none' }) satisfies ShadowStatusResponse);
    }),

    'POST /v1/admin/shadow': route(
      { body: shadowStartBody, maxBodyBytes: POLICY_BODY_BYTES },
      async ({ body, event }) => {
        const run = await startShadow(ctx, { actor: callerOf(event), document: body.policy, reason: body.reason });
        return json(201, {
          ...runView(run),
          effectiveWithinSeconds: POLICY_PROPAGATION_SECONDS,
        } satisfies ShadowRunView);
      },
    ),

    'POST /v1/admin/shadow/stop': route({ body: shadowStopBody }, async ({ body, event }) =>
      json(
        200,
        runView(await stopShadow(ctx, { actor: callerOf(event), reason: body.reason })) satisfies ShadowRunView,
      ),
    ),

    'GET /v1/admin/shadow/report': route({}, async ({ event }) => {
      const runId = query(event, 'runId');
      const cursor = query(event, 'cursor');
      const replayed = await shadowReport(ctx, {
        ...readerOf(event),
        ...(runId !== undefined ? { runId } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return json(200, { run: runView(replayed.run), ...chunkView(replayed) } satisfies ShadowReportResponse);
    }),
  } satisfies Partial<RouteHandlers<'admin'>>;
}
