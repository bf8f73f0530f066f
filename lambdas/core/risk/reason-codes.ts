/**
 * Every reason code the engine can emit, with a one-line description (the README's table is generated from this).
 * Codes are part of the API: never rename one, add a new code instead.
 */
export const REASON_CODES = {
  'action.sensitivity': 'Always present (0 points): names the sensitivity level and thresholds that applied.',
  'device.new':
    'The device id was never seen in a trusted session of this user (or was omitted when known ones exist).',
  'device.ua_changed': "The browser family, OS or device type is one this user's trusted sessions never used.",
  'device.bot': 'The user agent identifies itself as a bot or crawler.',
  'device.headless': 'The user agent is a headless browser (automation).',
  'device.cli': 'The user agent is a command-line HTTP client or library.',
  'device.ua_missing': 'No user agent was sent (missing data, not evidence of a command-line client).',
  'geo.new_country': 'The country was never seen in a trusted session of this user.',
  'geo.new_region': 'The region was never seen in a trusted session of this user.',
  'geo.new_city': 'The city was never seen in a trusted session of this user.',
  'geo.new_network':
    "The network (AS number) was never seen in this user's trusted sessions (only when the ASN is known).",
  'geo.impossible_travel': 'Distance from the last trusted location needs a speed above the policy limit.',
  'geo.private_ip': 'The client IP is private, loopback or reserved, so it cannot be located.',
  'geo.unknown_location': 'The client IP is public but could not be located.',
  'familiarity.ip': 'Freeman et al. likelihood ratio of IP → ASN/prefix → country, global vs this user.',
  'familiarity.ua': 'Freeman et al. likelihood ratio of UA → browser → OS → device type, global vs this user.',
  'ip.denylisted': 'Hard rule: the IP is on the policy deny list; the decision is deny whatever the score.',
  'ip.allowlisted': 'The IP is on the policy allow list (negative points; never overrides the deny list).',
  'ip.attack_reputation': 'A threat feed lists the IP as an attack source.',
  'velocity.user_burst': 'Many requests by this user in the last minute.',
  'velocity.ip_burst': 'Many requests from this IP (or, for IPv6, its /64) in the last minute.',
  'velocity.ip_many_users':
    'Many distinct users from this IP (or, for IPv6, its /64) in the last 10 minutes (credential stuffing).',
  'velocity.failed_step_ups': 'Several failed step-up challenges for this user in the last hour.',
  'velocity.failed_sign_ins': 'Several failed sign-ins for this user in the last hour.',
  'user.new': 'The user has fewer trusted sessions than the policy new-user threshold.',
  'step_up.satisfied': 'A fresh matching step-up grant turned this step-up into an allow (0 points).',
  'step_up.grant_invalid': 'A step-up grant was presented but does not satisfy this action (0 points).',
  'store.unavailable': 'The risk store was unreachable; the policy fail mode decided (0 points).',
  'decision.unrecorded':
    'The store answered but the decision could not be recorded (audit record rejected, or concurrent writes kept ' +
    'winning); the fail mode decided, raised from allow to step_up (0 points).',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
