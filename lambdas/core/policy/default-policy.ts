import type { Policy } from './policy-schema';

const ACR_OTP = 'urn:stepgate:acr:otp';

/**
 * The policy seeded on first start (version 1). Its thresholds and evidence weights come from `stepgate evaluate
 * --sweep` over a grid of simulated worlds (docs/detection.md), looked at only on the tuning worlds and kept when no
 * world's legitimate friction went above 5 %. Context signals are likelihood ratios in log-odds (20 points per
 * factor 10, at most 45 per reason), each judged against the user's own habits, so for a user with some history:
 *
 * - a familiar context scores ~0 and is allowed everywhere except `critical`, which always steps up;
 * - one novelty the user often brings (a phone's new carrier address, a new city for a traveller) adds a few
 *   points; one they never bring (a new network for someone on one home line) ~20-30;
 * - sign-in steps up at 47: roughly two rare novelties together (new network + new country, new network + new
 *   device...), which a stolen password brings and an owner rarely does; a trip abroad with the usual laptop steps
 *   up once, and the step-up proves the place;
 * - `high` actions (payment, export, credential changes) step up from 25, so one rare novelty is enough; three
 *   rare novelties together (new device, new network, new country: ≈ 100) are denied on `high`, and stepped up at
 *   sign-in, which is never denied by score (deny at 101): the deny list still denies;
 * - changing authenticators (`mfa.change`) is `critical`: it always steps up, since whoever controls them passes
 *   every later step-up;
 * - impossible travel, failed sign-ins from the same unfamiliar address just before, an unusual hour for this user
 *   and a dormant account suddenly active add evidence the same way; credential stuffing (many users or many
 *   failures from one IP) keeps flat points (40, 30) that step up sign-in on their own;
 * - a brand-new user (25, no recorded login yet) signs in, and their first `high` action is stepped up;
 * - an allowed sign-in below 47 is recorded, but a value it brings is trusted only once used again on another day
 *   with no failed attempt in between, or after a passed step-up (`learning`): a takeover that got through does
 *   not make the attacker's context familiar.
 *
 * No user agent at all (20, `device.ua_missing`) weighs what a declared command-line client does: a script can
 * always leave the header out, so leaving it out must not score lower than declaring itself; and missing data is no
 * more evidence of automation than that. Its own weight lets an app whose backend cannot forward the header set it
 * to 0 without excusing real command-line clients.
 *
 * SMS is a restricted authenticator (NIST SP 800-63B §5.1.3.3), so `high` and `critical` offer only e-mail OTP and
 * TOTP, and `critical` also a passkey (`webauthn`). A deployment that wants `critical` phishing-resistant sets its
 * acr to urn:stepgate:acr:phr and its methods to `webauthn` alone, once its users hold passkeys (changing
 * authenticators is `critical` too, so a user must register a passkey before that change). The store being unreachable lets sign-in and reads through (otherwise an outage locks everyone out) but
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
    critical: { stepUpAt: 0, denyAt: 95, acr: ACR_OTP, maxAgeSeconds: 0, methods: ['webauthn', 'totp', 'email_otp'] },
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
