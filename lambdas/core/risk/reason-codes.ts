/**
 * Every reason code the engine can emit, with a one-line description (the README's table is generated from this).
 * Codes are part of the API: never rename one, add a new code instead.
 */
export const REASON_CODES = {
  'action.sensitivity': 'Always present (0 points): names the sensitivity level and thresholds that applied.',
  'device.new':
    'The device id was never proved by this user (or was omitted when known ones exist), weighed against how often ' +
    'this user brings a new device.',
  'device.ua_changed':
    'A browser family, OS or device type this user never used, weighed against how often they bring one.',
  'device.ua_version':
    "The user's own browser and OS in a version they never used; a version older than their newest weighs more.",
  'device.bot': 'The user agent identifies itself as a bot or crawler.',
  'device.headless': 'The user agent is a headless browser (automation).',
  'device.cli': 'The user agent is a command-line HTTP client or library.',
  'device.ua_missing': 'No user agent was sent (missing data, not evidence of a command-line client).',
  'geo.new_country': 'A country this user never proved, weighed against how often they bring a new country.',
  'geo.new_region': 'A region this user never proved, weighed against how often they bring a new region.',
  'geo.new_city': 'A city this user never proved, weighed against how often they bring a new city.',
  'geo.new_network':
    'A network (AS number, else address prefix) this user never proved, weighed against how often they bring one.',
  'ip.new_address':
    'A new address in a network the user trusts, weighed against how often they change address in that network.',
  'network.rare': "A network new to this user that few of the service's users have.",
  'geo.impossible_travel': 'Distance from the last trusted location needs a speed above the policy limit.',
  'geo.private_ip': 'The client IP is private, loopback or reserved, so it cannot be located.',
  'geo.unknown_location': 'The client IP is public but could not be located.',
  'familiarity.ip':
    'Retired (policies before the evidence model): Freeman et al. likelihood ratio of the IP hierarchy. Now ' +
    'explained by geo.new_network, ip.new_address and network.rare.',
  'familiarity.ua':
    'Retired (policies before the evidence model): Freeman et al. likelihood ratio of the UA hierarchy. Now ' +
    'explained by device.ua_changed and device.ua_version.',
  'time.unusual_hour': 'An hour of the day at which this user rarely signs in (from their own hours).',
  'user.dormant': 'The account has been used rarely or not at all lately: attacks reach quiet accounts as often.',
  'sequence.failed_before': 'A failed sign-in from this unfamiliar address came just before (within the hour).',
  'sequence.network_switch': "The user's previous request came from another network a few minutes ago.",
  'ip.denylisted': 'Hard rule: the IP is on the policy deny list; the decision is deny whatever the score.',
  'ip.allowlisted': 'The IP is on the policy allow list (negative points; never overrides the deny list).',
  'ip.attack_reputation': 'A threat feed lists the IP as an attack source.',
  'velocity.user_burst': 'Many requests by this user in the last minute.',
  'velocity.ip_burst': 'Many requests from this IP (or, for IPv6, its /64) in the last minute.',
  'velocity.ip_many_users':
    'Many distinct users from this IP (or, for IPv6, its /64) in the last 10 minutes (credential stuffing).',
  'velocity.failed_step_ups': 'Several failed step-up challenges for this user in the last hour.',
  'velocity.failed_sign_ins': 'Several failed sign-ins for this user in the last hour.',
  'velocity.ip_failed_sign_ins': 'Several failed sign-ins from this IP, for any users, in the last 10 minutes.',
  'user.new': 'The user has fewer recorded logins than the policy new-user threshold.',
  'step_up.satisfied': 'A fresh matching step-up grant turned this step-up into an allow (0 points).',
  'step_up.grant_invalid': 'A step-up grant was presented but does not satisfy this action (0 points).',
  'store.unavailable': 'The risk store was unreachable; the policy fail mode decided (0 points).',
  'decision.unrecorded':
    'The store answered but the decision could not be recorded (audit record rejected, or concurrent writes kept ' +
    'winning); the fail mode decided, raised from allow to step_up (0 points).',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;
