import { formatCidr, parseCidr } from '../net/ip';
import { levelRank } from './guardrails';
import { FAIL_MODES, SENSITIVITY_LEVELS, type Policy } from './policy-schema';

/**
 * Which edits of a policy weaken protection, and so need a second person even when the policy does not ask for
 * approval. One admin alone may tighten anything and make neutral edits (descriptions, new actions, narrow
 * allow-list entries), so day-to-day tuning stays quick; but every step towards "allow" is reviewed. The bound
 * is zero for what can be measured (a threshold raised by one point counts), because a bound per change would let
 * one person walk the policy to "allow everything" in small steps; the one tolerance is for allow-list entries,
 * where a network of at most /24 (IPv4) or /48 (IPv6), one site's, is an ordinary edit.
 *
 * Pure and total: classifies any two documents that passed the schema. Edits whose direction cannot be told
 * (an acr string, the evidence model's prior) count as weakening: unclear means reviewed.
 */

export type WeakeningKind =
  | 'threshold_raised'
  | 'max_age_raised'
  | 'method_added'
  | 'acr_changed'
  | 'action_lowered'
  | 'action_removed'
  | 'weight_cut'
  | 'allow_credit_raised'
  | 'rule_loosened'
  | 'evidence_reweighted'
  | 'geo_loosened'
  | 'allow_list_broadened'
  | 'deny_list_shrunk'
  | 'learning_loosened'
  | 'retention_shortened'
  | 'fail_mode_relaxed'
  | 'approval_off'
  | 'privacy_off'
  | 'enrolment_exemption_on';

export interface Weakening {
  /** Dotted path, as in validation errors and diffs. */
  readonly path: string;
  readonly kind: WeakeningKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Allow-list entries broader than these (shorter prefixes) need a second person; narrower ones are one site's. */
export const BROAD_ALLOW_PREFIX = { v4: 24, v6: 48 } as const;

function isBroad(entry: string): boolean {
  const range = parseCidr(entry);
  if (!range) return true;
  return range.bits < (range.version === 4 ? BROAD_ALLOW_PREFIX.v4 : BROAD_ALLOW_PREFIX.v6);
}

/** Canonical text of a list entry, so `10.0.0.0/8` and `::ffff:10.0.0.0/104` are the same network. */
function canonical(entry: string): string {
  const range = parseCidr(entry);
  return range ? formatCidr(range) : entry;
}

type NumberMap = Readonly<Record<string, number | undefined>>;

class Collector {
  readonly found: Weakening[] = [];

  add(path: string, kind: WeakeningKind, before?: unknown, after?: unknown): void {
    this.found.push({
      path,
      kind,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    });
  }

  /** Weakening when the value went up (thresholds, ages, speeds). */
  raised(path: string, kind: WeakeningKind, before: number, after: number): void {
    if (after > before) this.add(path, kind, before, after);
  }

  /** Weakening when the value went down (points, retention). Absent counts as 0 (optional weights). */
  cut(path: string, kind: WeakeningKind, before: number | undefined, after: number | undefined): void {
    if ((after ?? 0) < (before ?? 0)) this.add(path, kind, before ?? 0, after ?? 0);
  }

  cutEach(prefix: string, before: NumberMap, after: NumberMap): void {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      this.cut(`${prefix}.${key}`, 'weight_cut', before[key], after[key]);
    }
  }
}

/** Evidence settings that only scale points up: lowering one never raises a score. */
const EVIDENCE_POINTS = [
  'pointsPerDecade',
  'maxPoints',
  'network',
  'address',
  'rareNetwork',
  'country',
  'place',
  'userAgent',
  'device',
  'hour',
  'travel',
  'dormancy',
  'failedBefore',
] as const;

/** Every weakening edit from `before` to `after`, in a stable order; empty when the change only strengthens. */
export function weakeningChanges(before: Policy, after: Policy): Weakening[] {
  const c = new Collector();

  for (const level of SENSITIVITY_LEVELS) {
    const b = before.levels[level];
    const a = after.levels[level];
    const at = `levels.${level}`;
    c.raised(`${at}.stepUpAt`, 'threshold_raised', b.stepUpAt, a.stepUpAt);
    c.raised(`${at}.denyAt`, 'threshold_raised', b.denyAt, a.denyAt);
    c.raised(`${at}.maxAgeSeconds`, 'max_age_raised', b.maxAgeSeconds, a.maxAgeSeconds);
    const added = a.methods.filter((m) => !b.methods.includes(m));
    if (added.length > 0) c.add(`${at}.methods`, 'method_added', b.methods, a.methods);
    if (a.acr !== b.acr) c.add(`${at}.acr`, 'acr_changed', b.acr, a.acr);
  }

  for (const name of Object.keys(before.actions).sort()) {
    const b = before.actions[name]!;
    const a = Object.hasOwn(after.actions, name) ? after.actions[name] : undefined;
    if (!a) c.add(`actions.${name}`, 'action_removed', b.level);
    else if (levelRank(a.level) < levelRank(b.level))
      c.add(`actions.${name}.level`, 'action_lowered', b.level, a.level);
  }

  const bw = before.weights;
  const aw = after.weights;
  c.cutEach('weights.device', bw.device, aw.device);
  c.cutEach('weights.geo', bw.geo, aw.geo);
  const be = bw.evidence;
  const ae = aw.evidence;
  for (const key of EVIDENCE_POINTS) c.cut(`weights.evidence.${key}`, 'weight_cut', be[key], ae[key]);
  // A network counts as rare against this share: a larger share makes more networks rare, a smaller one fewer.
  c.cut('weights.evidence.ordinaryNetworkShare', 'rule_loosened', be.ordinaryNetworkShare, ae.ordinaryNetworkShare);
  // More pseudo-logins pull every user's habits towards a typical user's: lower for some users, higher for others.
  if (ae.priorLogins !== be.priorLogins) {
    c.add('weights.evidence.priorLogins', 'evidence_reweighted', be.priorLogins, ae.priorLogins);
  }
  c.cut(
    'weights.sequence.networkSwitch.points',
    'weight_cut',
    bw.sequence.networkSwitch.points,
    aw.sequence.networkSwitch.points,
  );
  c.cut(
    'weights.sequence.networkSwitch.withinMinutes',
    'rule_loosened',
    bw.sequence.networkSwitch.withinMinutes,
    aw.sequence.networkSwitch.withinMinutes,
  );
  for (const rule of Object.keys(bw.velocity).sort() as (keyof Policy['weights']['velocity'])[]) {
    c.cut(`weights.velocity.${rule}.points`, 'weight_cut', bw.velocity[rule].points, aw.velocity[rule].points);
    c.raised(
      `weights.velocity.${rule}.threshold`,
      'rule_loosened',
      bw.velocity[rule].threshold,
      aw.velocity[rule].threshold,
    );
  }
  c.cut('weights.newUser.points', 'weight_cut', bw.newUser.points, aw.newUser.points);
  c.cut('weights.newUser.historyBelow', 'rule_loosened', bw.newUser.historyBelow, aw.newUser.historyBelow);
  c.cut('weights.ipReputation.attackIp', 'weight_cut', bw.ipReputation.attackIp, aw.ipReputation.attackIp);
  // The allow-list credit is negative: a larger credit is a lower number.
  c.cut('weights.lists.allowlisted', 'allow_credit_raised', bw.lists.allowlisted, aw.lists.allowlisted);
  c.cut('weights.lists.denylisted', 'weight_cut', bw.lists.denylisted, aw.lists.denylisted);

  c.raised('geo.impossibleTravelKmh', 'geo_loosened', before.geo.impossibleTravelKmh, after.geo.impossibleTravelKmh);
  c.raised('geo.minDistanceKm', 'geo_loosened', before.geo.minDistanceKm, after.geo.minDistanceKm);

  const allowBefore = new Set(before.lists.allow.map(canonical));
  after.lists.allow.forEach((entry, i) => {
    if (!allowBefore.has(canonical(entry)) && isBroad(entry)) {
      c.add(`lists.allow.${i}`, 'allow_list_broadened', undefined, entry);
    }
  });
  const denyAfter = new Set(after.lists.deny.map(canonical));
  before.lists.deny.forEach((entry, i) => {
    if (!denyAfter.has(canonical(entry))) c.add(`lists.deny.${i}`, 'deny_list_shrunk', entry);
  });

  c.raised(
    'learning.trustBelowScore',
    'learning_loosened',
    before.learning.trustBelowScore,
    after.learning.trustBelowScore,
  );
  c.cut(
    'retention.riskHistoryDays',
    'retention_shortened',
    before.retention.riskHistoryDays,
    after.retention.riskHistoryDays,
  );
  c.cut('retention.auditDays', 'retention_shortened', before.retention.auditDays, after.retention.auditDays);

  for (const level of SENSITIVITY_LEVELS) {
    const b = FAIL_MODES.indexOf(before.failMode[level]);
    const a = FAIL_MODES.indexOf(after.failMode[level]);
    if (a < b) c.add(`failMode.${level}`, 'fail_mode_relaxed', before.failMode[level], after.failMode[level]);
  }
  if (before.approval.required && !after.approval.required) c.add('approval.required', 'approval_off', true, false);
  if (before.privacy.hashIdentifiers && !after.privacy.hashIdentifiers) {
    c.add('privacy.hashIdentifiers', 'privacy_off', true, false);
  }
  const exemptionBefore = before.authenticators?.firstWithoutStepUp ?? 'never';
  const exemptionAfter = after.authenticators?.firstWithoutStepUp ?? 'never';
  if (exemptionBefore === 'never' && exemptionAfter !== 'never') {
    c.add('authenticators.firstWithoutStepUp', 'enrolment_exemption_on', exemptionBefore, exemptionAfter);
  }
  return c.found;
}
