import type { Policy } from './policy-schema';

const ACR_OTP = 'urn:stepgate:acr:otp';

/**
 * The policy seeded on first start (version 1). Sign-in thresholds and the network weight come from `stepgate
 * evaluate` on generated traffic (README, "Detection quality"): on users with history, stepping up sign-in at 35
 * costs ~3 % of legitimate logins and stops all naive and credential-stuffing attempts and ~96 % of VPN attackers;
 * a step-up at 30 would stop ~65 % instead of ~26 % of targeted attackers (victim's region and exact user agent) for
 * ~4 % friction. For a user with an established history (N ≈ 20 for the familiarity arithmetic below):
 *
 * - a familiar context scores ~0 and is allowed everywhere except `critical`, which always steps up;
 * - one new device (25) steps up `high` actions (payment, export, credential changes) but not sign-in; changing
 *   authenticators (`mfa.change`) is `critical`: it always steps up, since whoever controls them passes every
 *   later step-up;
 * - a new network (an AS number never used in a trusted session, 25) is what a stolen password cannot bring
 *   along: with the unfamiliar IP (≈ 8-13) it sits at the sign-in threshold, and any further novelty (another city,
 *   browser or device) steps up; a new address at the user's usual provider scores ≈ 4;
 * - a trip abroad on the usual device (new country+region+city 25, new network 25, unfamiliar IP ≈ 13) ≈ 63 steps
 *   up sign-in once; after the step-up the place is trusted;
 * - a stolen password used from a new device in another country (≈ 100) steps up sign-in and is denied on `high`
 *   actions. Sign-in is never denied by score (deny at 101): a step-up already stops an attacker without locking
 *   out the owner on a new laptop abroad; the deny list still denies;
 * - impossible travel (40) or credential stuffing from one IP (40) alone steps up sign-in and `high`;
 * - a brand-new user (25, no trusted session yet) signs in, and their first `high` action is stepped up (25 ≥ 25);
 *   from the first trusted session on, the novelty signals judge them against their own history;
 * - every allowed sign-in teaches the profile (trustBelowScore = the sign-in step-up threshold), so a context the
 *   policy lets in without proof does not stay "unfamiliar" and keep adding friction.
 *
 * - no user agent at all (20, `device.ua_missing`) weighs what a declared command-line client does: a script can
 *   always leave the header out, so leaving it out must not score lower than declaring itself; and missing data is
 *   no more evidence of automation than that. Its own weight lets an app whose backend cannot forward the header
 *   set it to 0 without excusing real command-line clients.
 *
 * SMS is a restricted authenticator (NIST SP 800-63B §5.1.3.3), so `high` and `critical` offer only e-mail OTP and
 * TOTP. The store being unreachable lets sign-in and reads through (otherwise an outage locks everyone out) but
 * never a `medium`-or-above action without proof; `critical` is denied outright.
 */
export const defaultPolicy: Policy = {
  version: 1,
  description: 'stepgate default policy',
  levels: {
    none: { stepUpAt: 101, denyAt: 101, acr: ACR_OTP, maxAgeSeconds: 3600, methods: ['email_otp', 'sms_otp', 'totp'] },
    low: { stepUpAt: 47, denyAt: 101, acr: ACR_OTP, maxAgeSeconds: 900, methods: ['email_otp', 'sms_otp', 'totp'] },
    medium: { stepUpAt: 45, denyAt: 100, acr: ACR_OTP, maxAgeSeconds: 900, methods: ['email_otp', 'sms_otp', 'totp'] },
    high: { stepUpAt: 25, denyAt: 100, acr: ACR_OTP, maxAgeSeconds: 300, methods: ['email_otp', 'totp'] },
    critical: { stepUpAt: 0, denyAt: 95, acr: ACR_OTP, maxAgeSeconds: 0, methods: ['totp', 'email_otp'] },
  },
  actions: {
    'auth.sign_in': { level: 'low', description: 'Sign-in (scored before Cognito custom auth)' },
    'profile.view': { level: 'none', description: 'Read own profile' },
    'profile.update': { level: 'medium', description: 'Change name, address or preferences' },
    'credentials.change': { level: 'high', description: 'Change password or e-mail address' },
    'mfa.change': { level: 'critical', description: 'Enrol, replace or remove an authenticator' },
    'payment.transfer': { level: 'high', description: 'Move money' },
    'data.export': { level: 'high', description: 'Bulk export of personal data' },
    'admin.production_access': { level: 'critical', description: 'Break-glass access to production' },
  },
  weights: {
    evidence: {
      pointsPerDecade: 20,
      maxPoints: 45,
      priorLogins: 4,
      network: 1,
      address: 1,
      rareNetwork: 2,
      ordinaryNetworkShare: 0.02,
      country: 1.3,
      place: 0.4,
      userAgent: 1,
      device: 1,
      travel: 1,
      hour: 1.3,
      dormancy: 0.3,
      failedBefore: 1.3,
    },
    device: { bot: 40, headless: 30, cli: 20, uaMissing: 20 },
    geo: { privateIp: 0, unknownLocation: 10 },
    sequence: { networkSwitch: { points: 15, withinMinutes: 10 } },
    velocity: {
      userBurst: { points: 15, threshold: 10 },
      ipBurst: { points: 15, threshold: 120 },
      ipManyUsers: { points: 40, threshold: 20 },
      failedStepUps: { points: 25, threshold: 3 },
      failedSignIns: { points: 15, threshold: 5 },
      ipFailedSignIns: { points: 30, threshold: 3 },
    },
    newUser: { points: 25, historyBelow: 1 },
    ipReputation: { attackIp: 30 },
    lists: { allowlisted: -20, denylisted: 100 },
  },
  geo: { impossibleTravelKmh: 900, minDistanceKm: 100 },
  lists: { allow: [], deny: [] },
  learning: { trustBelowScore: 47, confirmDays: 2, confirmUses: 2, trustDays: 120, halfLifeDays: 60 },
  retention: { riskHistoryDays: 90, auditDays: 400 },
  failMode: { none: 'allow', low: 'allow', medium: 'step_up', high: 'step_up', critical: 'deny' },
  approval: { required: false },
  privacy: { hashIdentifiers: false },
  authenticators: { firstWithoutStepUp: 'never' },
};
