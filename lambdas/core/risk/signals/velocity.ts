import type { Reason } from '../types';
import { reason, type SignalContext } from './context';

/** The larger of the exact-address count and the IPv6 /64 count, with the words that say which one it is. */
function source(exact: number, network: number | undefined): { count: number; from: string } {
  return network !== undefined && network > exact
    ? { count: network, from: 'this IPv6 /64' }
    : { count: exact, from: 'this IP' };
}

/**
 * Windowed counters from the store (see `VelocityCounts` for the windows). Each rule fires once its count reaches
 * the threshold; a flat step keeps the score explainable and monotone in the counts. Address rules take the larger
 * of the exact address's count and, for IPv6, its /64's.
 */
export function velocitySignals(ctx: SignalContext): Reason[] {
  const v = ctx.input.velocity;
  const w = ctx.input.policy.weights.velocity;
  const out: Reason[] = [];
  if (v.userRequests >= w.userBurst.threshold) {
    out.push(reason('velocity.user_burst', w.userBurst.points, `${v.userRequests} requests by this user in 1 min`));
  }
  const requests = source(v.ipRequests, v.networkRequests);
  if (requests.count >= w.ipBurst.threshold) {
    out.push(
      reason('velocity.ip_burst', w.ipBurst.points, `${requests.count} requests from ${requests.from} in 1 min`),
    );
  }
  const users = source(v.ipDistinctUsers, v.networkDistinctUsers);
  if (users.count >= w.ipManyUsers.threshold) {
    out.push(
      reason(
        'velocity.ip_many_users',
        w.ipManyUsers.points,
        `${users.count} distinct users from ${users.from} in 10 min`,
      ),
    );
  }
  if (v.userFailedStepUps >= w.failedStepUps.threshold) {
    out.push(
      reason('velocity.failed_step_ups', w.failedStepUps.points, `${v.userFailedStepUps} failed step-ups in 1 h`),
    );
  }
  const ipFailed = v.ipFailedSignIns ?? 0;
  if (ipFailed >= w.ipFailedSignIns.threshold) {
    out.push(
      reason(
        'velocity.ip_failed_sign_ins',
        w.ipFailedSignIns.points,
        `${ipFailed} failed sign-ins from this IP in 10 min`,
      ),
    );
  }
  if (v.userFailedSignIns >= w.failedSignIns.threshold) {
    out.push(
      reason('velocity.failed_sign_ins', w.failedSignIns.points, `${v.userFailedSignIns} failed sign-ins in 1 h`),
    );
  }
  return out;
}
