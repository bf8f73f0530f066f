import { parseIp } from '../net/ip';
import { compilePolicy } from '../policy/compiled-policy';
import type { SensitivityLevel } from '../policy/policy-schema';
import { contextKeysFor } from './context-keys';
import { HabitView } from './habits';
import { knownSightingsOf } from './profile';
import { checkGrant } from './grant';
import { actionSignal, resolveActionLevel } from './signals/action';
import type { SignalContext } from './signals/context';
import { deviceSignals } from './signals/device';
import { geoSignals } from './signals/geo';
import { habitSignals } from './signals/habits';
import { listSignals } from './signals/lists';
import { networkSignals } from './signals/network';
import { newUserSignals } from './signals/new-user';
import { sequenceSignals } from './signals/sequence';
import { velocitySignals } from './signals/velocity';
import type { Decision, Evaluation, EvaluationInput, Reason, RiskLevel } from './types';

/** Bounds of the informational risk level: low < 30 ≤ medium < 70 ≤ high. */
export const RISK_LEVEL_BOUNDS = { medium: 30, high: 70 } as const;

export function riskLevelOf(score: number): RiskLevel {
  return score < RISK_LEVEL_BOUNDS.medium ? 'low' : score < RISK_LEVEL_BOUNDS.high ? 'medium' : 'high';
}

const DECISION_RANK: Record<Decision, number> = { allow: 0, step_up: 1, deny: 2 };

/** Orders decisions by friction: allow < step_up < deny. */
export function decisionRank(d: Decision): number {
  return DECISION_RANK[d];
}

export function buildSignalContext(input: EvaluationInput): SignalContext {
  // With pseudonymized features the address comes separately, for the lists only; the keys are the pseudonyms.
  const ip = parseIp(input.address ?? input.features.ip);
  const profile = input.profile;
  const keys = contextKeysFor(input.features, input.address === undefined ? ip : undefined);
  const history = profile !== undefined && profile.trustedEvents > 0 ? profile : undefined;
  const { learning, weights } = input.policy;
  return {
    input,
    keys,
    ip,
    compiled: compilePolicy(input.policy),
    history,
    seen: knownSightingsOf(history, keys, input.now, learning.trustDays),
    habits: new HabitView(history?.habits, input.now, learning.halfLifeDays, weights.evidence.priorLogins),
  };
}

function append(into: Reason[], from: Reason[]): void {
  for (const r of from) into.push(r);
}

/**
 * Rounds the signals' exact contributions to whole points that add up to round(Σ exact): each is rounded down,
 * and the points still missing go to the largest remainders (earliest reason first among equal ones).
 */
function wholePoints(reasons: Reason[], rawScore: number): void {
  let missing = Math.round(rawScore);
  for (const r of reasons) missing -= Math.floor(r.points);
  // Few reasons carry a fraction (only the evidence signals): pick the largest remainders one at a time, without
  // sorting or allocating on the common path.
  const rest = (r: Reason) => r.points - Math.floor(r.points);
  while (missing > 0) {
    let best = -1;
    for (let i = 0; i < reasons.length; i++) {
      const x = rest(reasons[i]!);
      if (x > 0 && (best < 0 || x > rest(reasons[best]!))) best = i;
    }
    if (best < 0) break;
    const r = reasons[best]!;
    r.points = Math.floor(r.points) + 1;
    missing--;
  }
  for (const r of reasons) r.points = Math.floor(r.points);
}

/**
 * Scores one request and decides. Pure: same input (same policy object contents) → same output.
 *
 * rawScore = Σ of the signals' exact contributions (likelihood-ratio evidence and rule points); score =
 * clamp(round(rawScore), 0, 100), and the reasons' whole points add up to round(rawScore). Against the action's
 * level: score < stepUpAt → allow, < denyAt → step_up, else deny. The deny list is a hard rule. A valid grant
 * turns step_up (never deny) into allow. Reasons come in a fixed order: action, lists, new user, device, geo,
 * network, habits, sequence, velocity, grant.
 *
 * @throws UnknownActionError when the action is not in the policy's catalogue.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const { policy } = input;
  const level: SensitivityLevel = resolveActionLevel(policy, input.action);
  const thresholds = policy.levels[level];
  const ctx = buildSignalContext(input);

  const reasons: Reason[] = actionSignal(ctx, level);
  append(reasons, listSignals(ctx));
  append(reasons, newUserSignals(ctx));
  append(reasons, deviceSignals(ctx));
  append(reasons, geoSignals(ctx));
  append(reasons, networkSignals(ctx));
  append(reasons, habitSignals(ctx));
  append(reasons, sequenceSignals(ctx));
  append(reasons, velocitySignals(ctx));

  let rawScore = 0;
  let riskBeforeCredit = 0;
  let denylisted = false;
  for (const r of reasons) {
    rawScore += r.points;
    if (r.points > 0) riskBeforeCredit += r.points;
    if (r.code === 'ip.denylisted') denylisted = true;
  }
  const score = Math.min(100, Math.max(0, Math.round(rawScore)));
  wholePoints(reasons, rawScore);

  let decision: Decision = denylisted
    ? 'deny'
    : score < thresholds.stepUpAt
      ? 'allow'
      : score < thresholds.denyAt
        ? 'step_up'
        : 'deny';

  let grantRedeemed: boolean | undefined;
  if (input.grant !== undefined) {
    grantRedeemed = false;
    if (decision === 'step_up') {
      const check = checkGrant(
        input.grant,
        {
          userId: input.userId,
          action: input.action,
          deviceId: input.features.deviceId,
          sessionId: input.sessionId,
          now: input.now,
        },
        policy,
        level,
      );
      if (check.ok) {
        decision = 'allow';
        grantRedeemed = true;
        const ageS = Math.max(0, Math.round((input.now - input.grant.grantedAt) / 1000));
        reasons.push({
          code: 'step_up.satisfied',
          points: 0,
          detail: `step-up ${input.grant.stepUpId} (${input.grant.acr}) from ${ageS} s ago`,
        });
      } else {
        reasons.push({ code: 'step_up.grant_invalid', points: 0, detail: check.why });
      }
    }
  }

  const evaluation: Evaluation = {
    decision,
    score,
    riskLevel: riskLevelOf(score),
    reasons,
    level,
    rawScore,
    // Allow-list credit lowers the decision but may not vouch for a context: teaching uses the risk before it.
    teaches:
      decision === 'allow' &&
      grantRedeemed !== true &&
      !denylisted &&
      riskBeforeCredit < policy.learning.trustBelowScore,
  };
  if (grantRedeemed !== undefined) evaluation.grantRedeemed = grantRedeemed;
  if (decision === 'step_up') {
    evaluation.stepUp = {
      acr: thresholds.acr,
      maxAgeSeconds: thresholds.maxAgeSeconds,
      methods: [...thresholds.methods],
    };
  }
  return evaluation;
}
