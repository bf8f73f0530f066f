import { z } from 'zod';
import { parseCidr } from '../net/ip';
import { actionFloorIssues, allowEntryProblem } from './guardrails';

/**
 * The policy document: one versioned JSON object, validated here before it is stored or used.
 *
 * ```
 * version            integer ≥ 1 (the store assigns it; the engine reports it with every decision)
 * description?       free text
 * levels             one entry per sensitivity level none | low | medium | high | critical:
 *   stepUpAt           score ≥ this → step_up (0..101; 101 = never, 0 = always)
 *   denyAt             score ≥ this → deny (0..101; ≥ stepUpAt)
 *   acr                acr value a step-up for this level must reach (relayed in WWW-Authenticate)
 *   maxAgeSeconds      how old a step-up grant may be; 0 = every time (single use, redeemable within 300 s)
 *   methods            step-up methods offered: email_otp | sms_otp | totp | webauthn (passkeys); a level whose
 *                      acr is urn:stepgate:acr:phr (phishing-resistant) offers webauthn only
 *   A more sensitive level never has a higher stepUpAt, denyAt or maxAgeSeconds than a less sensitive one, which
 *   is what makes "raising an action's sensitivity never relaxes the decision" hold for every valid policy.
 *   critical always steps up: its stepUpAt and maxAgeSeconds are 0 (guardrails.ts).
 * actions            catalogue: "area.verb" (lowercase, dotted) → { level, description? }; the built-in sensitive
 *                    actions stay in it at or above their floor (guardrails.ts ACTION_FLOORS)
 * weights            (≥ 0, except lists.allowlisted ≤ 0)
 *   evidence           likelihood-ratio signals, each judged against the user's own habits and the population:
 *                      points = weight × pointsPerDecade × log10(likelihood ratio), never negative, at most
 *                      maxPoints per reason. priorLogins: pseudo-logins pulling a user's habits towards a typical
 *                      user's. Weights (0 switches a signal off): network (geo.new_network), address
 *                      (ip.new_address), rareNetwork (network.rare; ordinaryNetworkShare: the share of all users
 *                      a network needs to count as ordinary), country (geo.new_country), place (geo.new_region,
 *                      geo.new_city),
 *                      userAgent (device.ua_changed, device.ua_version), device (device.new), travel
 *                      (geo.impossible_travel), hour (time.unusual_hour), dormancy (user.dormant), failedBefore
 *                      (sequence.failed_before)
 *   device             bot, headless, cli: points for automation user agents; uaMissing? (no user agent sent;
 *                      absent = the cli weight, which a missing agent scored before it had its own reason)
 *   geo                privateIp (points for private/loopback/reserved client IPs; 0 for apps that legitimately
 *                      see internal clients), unknownLocation
 *   sequence           networkSwitch { points, withinMinutes }: the user's previous request came from another
 *                      network this many minutes ago or less
 *   velocity           userBurst, ipBurst, ipManyUsers, failedStepUps, failedSignIns, ipFailedSignIns (failed
 *                      sign-ins from the IP, any user, 10 min): { points, threshold };
 *                      the signal fires when the windowed count is ≥ threshold
 *   newUser            { points, historyBelow }: the explicit new-user rule (recorded logins < historyBelow)
 *   ipReputation       { attackIp }: points when a threat feed flags the IP
 *   lists              { allowlisted (≤ 0), denylisted (reported points; the deny itself is a hard rule) }
 * geo                { impossibleTravelKmh, minDistanceKm (distance floor so nearby IP noise is not travel) }
 * lists              { allow, deny }: IPv4/IPv6 addresses or CIDRs (host bits zero); allow entries at least /16
 *                    (IPv4) or /32 (IPv6)
 * learning           trustBelowScore: an allow scoring (before allow-list credit) below this is recorded in the
 *                    profile; confirmDays, confirmUses: a value recorded without a step-up becomes trusted once used
 *                    on this many separate days and times with no failed attempt in between; trustDays: trust fades
 *                    after this many days unused; halfLifeDays: half-life of the habits (novelty rates, hours)
 * retention          { riskHistoryDays, auditDays }
 * failMode           per level, the answer when the risk store is unreachable; medium and above may only be
 *                    step_up or deny, and a more sensitive level is never answered more leniently
 * approval           { required }: policy changes need a second person's approval
 * privacy            { hashIdentifiers }: adapters hash device ids / UA keys before storing them
 * authenticators?    { firstWithoutStepUp: never | no_verified_contact }: whether a user's first authenticator may
 *                    be enrolled without a step-up, only for accounts with no verified e-mail or phone (absent =
 *                    never; changing an authenticator otherwise always needs a step-up for mfa.change)
 * ```
 */

export const SENSITIVITY_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type SensitivityLevel = (typeof SENSITIVITY_LEVELS)[number];

export const STEP_UP_METHODS = ['email_otp', 'sms_otp', 'totp', 'webauthn'] as const;

/**
 * The acr of a phishing-resistant step-up (NIST SP 800-63B: an authenticator bound to the origin it signs for).
 * A level that asks for it may offer only phishing-resistant methods, so no grant at that acr can come from a
 * code a phishing page relayed.
 */
export const ACR_PHISHING_RESISTANT = 'urn:stepgate:acr:phr';
export const PHISHING_RESISTANT_METHODS: readonly StepUpMethod[] = ['webauthn'];
export type StepUpMethod = (typeof STEP_UP_METHODS)[number];

export const FAIL_MODES = ['allow', 'step_up', 'deny'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/**
 * `never`: every enrolment, replacement and removal of an authenticator redeems a step-up for `mfa.change`.
 * `no_verified_contact`: an account with no verified e-mail or phone (so no method to step up with) may enrol its
 * first authenticator without one; the audit record says so.
 */
export const FIRST_AUTHENTICATOR_RULES = ['never', 'no_verified_contact'] as const;
export type FirstAuthenticatorRule = (typeof FIRST_AUTHENTICATOR_RULES)[number];

export const ACTION_NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
// Printable ASCII without space, quote or backslash: acr values are relayed inside a quoted WWW-Authenticate
// parameter and space-separated in acr_values.
const ACR_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const points = z.number().min(0).max(1000);
const threshold = z.number().int().min(1).max(1_000_000);
const rule = z.strictObject({ points, threshold });

const levelSchema = z.strictObject({
  stepUpAt: z.number().min(0).max(101),
  denyAt: z.number().min(0).max(101),
  acr: z.string().min(1).max(200).regex(ACR_PATTERN, { error: 'printable ASCII without spaces, quotes or \\' }),
  maxAgeSeconds: z.number().int().min(0).max(86_400),
  methods: z
    .array(z.enum(STEP_UP_METHODS))
    .min(1)
    .refine((m) => new Set(m).size === m.length, { error: 'duplicate method' }),
});

const levelsSchema = z
  .strictObject({
    none: levelSchema,
    low: levelSchema,
    medium: levelSchema,
    high: levelSchema,
    critical: levelSchema,
  })
  .superRefine((levels, ctx) => {
    for (let i = 0; i < SENSITIVITY_LEVELS.length; i++) {
      const name = SENSITIVITY_LEVELS[i] as SensitivityLevel;
      const cur = levels[name];
      if (cur.acr === ACR_PHISHING_RESISTANT) {
        const weak = cur.methods.filter((m) => !PHISHING_RESISTANT_METHODS.includes(m));
        if (weak.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: [name, 'methods'],
            message: `acr ${ACR_PHISHING_RESISTANT} is phishing-resistant: offer only ${PHISHING_RESISTANT_METHODS.join(', ')} (not ${weak.join(', ')})`,
          });
        }
      }
      if (cur.stepUpAt > cur.denyAt) {
        ctx.addIssue({ code: 'custom', path: [name, 'stepUpAt'], message: `must be ≤ denyAt (${cur.denyAt})` });
      }
      if (name === 'critical') {
        for (const field of ['stepUpAt', 'maxAgeSeconds'] as const) {
          if (cur[field] !== 0) {
            ctx.addIssue({
              code: 'custom',
              path: [name, field],
              message: 'must be 0: critical actions always step up, every time (a guardrail no policy can remove)',
            });
          }
        }
      }
      if (i === 0) continue;
      const prevName = SENSITIVITY_LEVELS[i - 1] as SensitivityLevel;
      const prev = levels[prevName];
      for (const field of ['stepUpAt', 'denyAt', 'maxAgeSeconds'] as const) {
        if (cur[field] > prev[field]) {
          ctx.addIssue({
            code: 'custom',
            path: [name, field],
            message: `must be ≤ levels.${prevName}.${field} (${prev[field]}): a more sensitive level may not be laxer`,
          });
        }
      }
    }
  });

const actionSchema = z.strictObject({
  level: z.enum(SENSITIVITY_LEVELS),
  description: z.string().max(500).optional(),
});

const evidenceWeight = z.number().min(0).max(10);

const weightsSchema = z.strictObject({
  evidence: z.strictObject({
    pointsPerDecade: z.number().min(0).max(100),
    maxPoints: z.number().min(0).max(100),
    priorLogins: z.number().gt(0).max(1000),
    network: evidenceWeight,
    address: evidenceWeight,
    rareNetwork: evidenceWeight,
    ordinaryNetworkShare: z.number().gt(0).max(1),
    country: evidenceWeight,
    place: evidenceWeight,
    userAgent: evidenceWeight,
    device: evidenceWeight,
    hour: evidenceWeight,
    travel: evidenceWeight,
    dormancy: evidenceWeight,
    failedBefore: evidenceWeight,
  }),
  device: z.strictObject({
    bot: points,
    headless: points,
    cli: points,
    // Optional so that policies stored before the signal existed stay valid and score as they did.
    uaMissing: points.optional(),
  }),
  geo: z.strictObject({ privateIp: points, unknownLocation: points }),
  sequence: z.strictObject({
    networkSwitch: z.strictObject({ points, withinMinutes: z.number().min(0).max(1440) }),
  }),
  velocity: z.strictObject({
    userBurst: rule,
    ipBurst: rule,
    ipManyUsers: rule,
    failedStepUps: rule,
    failedSignIns: rule,
    ipFailedSignIns: rule,
  }),
  newUser: z.strictObject({ points, historyBelow: z.number().int().min(0).max(1000) }),
  ipReputation: z.strictObject({ attackIp: points }),
  lists: z.strictObject({ allowlisted: z.number().min(-100).max(0), denylisted: points }),
});

const ipOrCidr = z.string().refine((s) => parseCidr(s) !== undefined, {
  error: 'not an IP address or CIDR with host bits zero (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)',
});

const allowEntry = ipOrCidr.superRefine((entry, ctx) => {
  const problem = allowEntryProblem(entry);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const failModesSchema = z
  .strictObject({
    none: z.enum(FAIL_MODES),
    low: z.enum(FAIL_MODES),
    medium: z.enum(['step_up', 'deny']),
    high: z.enum(['step_up', 'deny']),
    critical: z.enum(['step_up', 'deny']),
  })
  .superRefine((modes, ctx) => {
    for (let i = 1; i < SENSITIVITY_LEVELS.length; i++) {
      const name = SENSITIVITY_LEVELS[i] as SensitivityLevel;
      const prevName = SENSITIVITY_LEVELS[i - 1] as SensitivityLevel;
      if (FAIL_MODES.indexOf(modes[name]) < FAIL_MODES.indexOf(modes[prevName])) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be at least as strict as failMode.${prevName} (${modes[prevName]})`,
        });
      }
    }
  });

export const policySchema = z.strictObject({
  version: z.number().int().min(1),
  description: z.string().max(2000).optional(),
  levels: levelsSchema,
  actions: z
    .record(
      z
        .string()
        .max(100)
        .regex(ACTION_NAME_PATTERN, { error: 'action names are dotted lowercase, e.g. payment.transfer' }),
      actionSchema,
    )
    .refine((a) => Object.keys(a).length > 0, { error: 'the catalogue needs at least one action' })
    .superRefine((actions, ctx) => {
      for (const issue of actionFloorIssues(actions)) ctx.addIssue({ code: 'custom', ...issue });
    }),
  weights: weightsSchema,
  geo: z.strictObject({
    impossibleTravelKmh: z.number().gt(0).max(100_000),
    minDistanceKm: z.number().min(0).max(20_100),
  }),
  lists: z.strictObject({ allow: z.array(allowEntry).max(1000), deny: z.array(ipOrCidr).max(1000) }),
  learning: z.strictObject({
    trustBelowScore: z.number().min(0).max(101),
    // At least two days: one allowed login must never be enough to make a place familiar (an attacker's would be).
    confirmDays: z.number().int().min(2).max(30),
    confirmUses: z.number().int().min(1).max(100),
    trustDays: z.number().min(1).max(3650),
    halfLifeDays: z.number().min(1).max(3650),
  }),
  retention: z.strictObject({
    riskHistoryDays: z.number().int().min(1).max(3650),
    auditDays: z.number().int().min(1).max(3650),
  }),
  failMode: failModesSchema,
  approval: z.strictObject({ required: z.boolean() }),
  privacy: z.strictObject({ hashIdentifiers: z.boolean() }),
  authenticators: z.strictObject({ firstWithoutStepUp: z.enum(FIRST_AUTHENTICATOR_RULES) }).optional(),
});

export type Policy = z.infer<typeof policySchema>;
export type LevelPolicy = Policy['levels'][SensitivityLevel];

export interface PolicyIssue {
  /** Dotted path into the document, e.g. `levels.high.stepUpAt`, `lists.deny.0`, `weights.geo.bogus`. */
  path: string;
  message: string;
}

export type ParsePolicyResult = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** Validates a policy document. Never throws; every problem is reported with its dotted path. */
export function parsePolicy(input: unknown): ParsePolicyResult {
  const result = policySchema.safeParse(input);
  if (result.success) return { ok: true, policy: result.data };
  const issues: PolicyIssue[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One issue per key so that the admin UI can point at each offending field.
      for (const key of issue.keys) {
        issues.push({ path: joinPath([...issue.path, key]), message: `unknown key "${key}"` });
      }
    } else if (issue.code === 'invalid_key') {
      issues.push({ path: joinPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else {
      issues.push({ path: joinPath(issue.path), message: issue.message });
    }
  }
  return { ok: false, issues };
}
