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
 * weights            points per signal (≥ 0, except lists.allowlisted ≤ 0):
 *   device             newDevice, uaChanged, bot, headless, cli, uaMissing? (no user agent sent; absent = the
 *                      cli weight, which a missing agent scored before it had its own reason)
 *   geo                newCountry, newRegion, newCity (cumulative: a new country is also a new region and city),
 *                      impossibleTravel, privateIp (points for private/loopback/reserved client IPs; 0 for apps
 *                      that legitimately see internal clients), unknownLocation, newNetwork? (an AS number
 *                      never seen in the user's trusted sessions; only fires when the locator knows the ASN)
 *   familiarity        Freeman et al. model: maxPoints (cap per hierarchy), pointsPerDecade (points per factor 10
 *                      of likelihood ratio), smoothing (pseudo-count pulling a user's distribution towards the
 *                      global one), ip { ip, asn, country } and ua { ua, browser, os, deviceType } level weights
 *                      (normalized to sum 1 by the engine, so any non-negative weights with a positive sum work)
 *   velocity           userBurst, ipBurst, ipManyUsers, failedStepUps, failedSignIns: { points, threshold };
 *                      the signal fires when the windowed count is ≥ threshold
 *   newUser            { points, historyBelow }: the explicit new-user rule (trusted sessions < historyBelow)
 *   ipReputation       { attackIp }: points when a threat feed flags the IP
 *   lists              { allowlisted (≤ 0), denylisted (reported points; the deny itself is a hard rule) }
 * geo                { impossibleTravelKmh, minDistanceKm (distance floor so nearby IP noise is not travel) }
 * lists              { allow, deny }: IPv4/IPv6 addresses or CIDRs (host bits zero); allow entries at least /16
 *                    (IPv4) or /32 (IPv6)
 * learning           { trustBelowScore }: an allow scoring (before allow-list credit) below this teaches the profile
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
const hierarchyWeight = z.number().min(0).max(1000);

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

const hierarchySum = (w: Record<string, number>) => Object.values(w).reduce((a, b) => a + b, 0) > 0;

const weightsSchema = z.strictObject({
  device: z.strictObject({
    newDevice: points,
    uaChanged: points,
    bot: points,
    headless: points,
    cli: points,
    // Optional so that policies stored before the signal existed stay valid and score as they did.
    uaMissing: points.optional(),
  }),
  geo: z.strictObject({
    newCountry: points,
    newRegion: points,
    newCity: points,
    // Optional so that policies stored before the signal existed stay valid (absent = 0 points).
    newNetwork: points.optional(),
    impossibleTravel: points,
    privateIp: points,
    unknownLocation: points,
  }),
  familiarity: z.strictObject({
    maxPoints: z.number().min(0).max(100),
    pointsPerDecade: z.number().min(0).max(100),
    smoothing: z.number().gt(0).max(1000),
    ip: z
      .strictObject({ ip: hierarchyWeight, asn: hierarchyWeight, country: hierarchyWeight })
      .refine(hierarchySum, { error: 'at least one weight must be positive' }),
    ua: z
      .strictObject({ ua: hierarchyWeight, browser: hierarchyWeight, os: hierarchyWeight, deviceType: hierarchyWeight })
      .refine(hierarchySum, { error: 'at least one weight must be positive' }),
  }),
  velocity: z.strictObject({
    userBurst: rule,
    ipBurst: rule,
    ipManyUsers: rule,
    failedStepUps: rule,
    failedSignIns: rule,
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
  learning: z.strictObject({ trustBelowScore: z.number().min(0).max(101) }),
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
