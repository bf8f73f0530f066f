import { parseCidr } from '../net/ip';
import type { SensitivityLevel } from './policy-schema';

/**
 * Guardrails that no policy document can remove: the schema refuses a document that breaks one, whoever proposes
 * it and whoever approves it. They are what is left when one admin, alone, tries to make the policy allow everything.
 *
 * - `critical` always steps up: its `stepUpAt` and `maxAgeSeconds` must be 0 (every request, every time).
 * - The built-in sensitive actions stay in the catalogue at or above a floor (ACTION_FLOORS): `mfa.change` is
 *   `critical` (whoever controls the authenticators passes every later step-up), `credentials.change`,
 *   `payment.transfer` and `data.export` at least `high`, `admin.production_access` `critical` (break-glass access
 *   on a familiar laptop still steps up), `auth.sign_in` at least `low`.
 * - Allow-list entries are networks, not the Internet: at least ALLOW_LIST_MIN_PREFIX bits (IPv4 /16, IPv6 /32).
 *   A /16 is about the largest block one organisation routes from one place; IPv6 /32 is the smallest allocation
 *   a regional registry makes to an ISP, so anything broader spans many unrelated networks that an attacker can
 *   rent an address in. An allow-listed network lowers every score from it, so `0.0.0.0/0` would lower them all.
 *
 * Everything else an admin may change, but a change that weakens protection needs a second person
 * (see weakening.ts).
 */

const LEVEL_ORDER: readonly SensitivityLevel[] = ['none', 'low', 'medium', 'high', 'critical'];

/** Orders sensitivity levels: none 0 … critical 4. */
export function levelRank(level: SensitivityLevel): number {
  return LEVEL_ORDER.indexOf(level);
}

/**
 * The least sensitive level each built-in action may have. Every one of them must be in the catalogue: the
 * service itself relies on them (sign-in risk, authenticator enrolment) and apps call them by name.
 */
export const ACTION_FLOORS: Readonly<Record<string, SensitivityLevel>> = {
  'auth.sign_in': 'low',
  'credentials.change': 'high',
  // Critical, so that a decision about it always steps up: changing authenticators needs a grant (the TOTP routes
  // refuse without one), and a familiar context would otherwise be answered `allow` with no step-up to pass.
  'mfa.change': 'critical',
  'payment.transfer': 'high',
  'data.export': 'high',
  'admin.production_access': 'critical',
};

/** The shortest prefix an allow-list entry may have (a single address counts as /32 or /128). */
export const ALLOW_LIST_MIN_PREFIX = { v4: 16, v6: 32 } as const;

/** What is wrong with an allow-list entry that parses as an address or CIDR; undefined when it is narrow enough. */
export function allowEntryProblem(entry: string): string | undefined {
  const range = parseCidr(entry);
  if (!range) return undefined;
  const min = range.version === 4 ? ALLOW_LIST_MIN_PREFIX.v4 : ALLOW_LIST_MIN_PREFIX.v6;
  if (range.bits >= min) return undefined;
  return `allow-list entries must be at least /${min} for IPv${range.version} (this one is /${range.bits}): a broader network is not one the organisation controls`;
}

export interface GuardrailIssue {
  /** Path segments relative to the catalogue: `['mfa.change']` or `['mfa.change', 'level']`. */
  readonly path: string[];
  readonly message: string;
}

/** The floor actions that are missing or below their floor. */
export function actionFloorIssues(actions: Readonly<Record<string, { level: SensitivityLevel }>>): GuardrailIssue[] {
  const issues: GuardrailIssue[] = [];
  for (const [name, floor] of Object.entries(ACTION_FLOORS)) {
    const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (!action) {
      issues.push({
        path: [name],
        message: `a built-in action: it must stay in the catalogue (level ${floor} or above)`,
      });
    } else if (levelRank(action.level) < levelRank(floor)) {
      issues.push({
        path: [name, 'level'],
        message: `must be ${floor} or above: a built-in sensitive action cannot drop below its floor`,
      });
    }
  }
  return issues;
}
