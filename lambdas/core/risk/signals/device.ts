import { familyKnown, familyOf } from '../learning';
import { anyFresh, isFresh } from '../profile';
import type { Reason, SightingMap } from '../types';
import { reason, type SignalContext } from './context';
import { ATTACKER, OLDER_VERSION_SHARE, evidenceReason, percent } from './evidence';

/** The highest major version among fresh trusted browser keys of one family ("Chrome 120" → 120). */
function newestMajor(browsers: SightingMap, family: string, now: number, trustDays: number): number {
  let best = -Infinity;
  for (const key in browsers) {
    if (!Object.hasOwn(browsers, key) || !isFresh(browsers[key], now, trustDays) || familyOf(key) !== family) continue;
    const major = Number(key.slice(family.length + 1));
    if (Number.isFinite(major) && major > best) best = major;
  }
  return best;
}

/**
 * Automation flags always count. Novelty is judged against the user's habits and only against a history:
 * - `device.new`: a device id the user never proved; a missing id counts as new once the user has known devices,
 *   so that omitting the id can never look better than sending an unknown one;
 * - `device.ua_changed`: a browser family, OS or device type the user never used;
 * - `device.ua_version`: the user's own browser and OS in a version they never used; a version older than every
 *   one they used weighs more (a copy of an old user agent), a newer one is what browser updates look like.
 */
export function deviceSignals(ctx: SignalContext): Reason[] {
  const { input, keys, seen } = ctx;
  const w = input.policy.weights.device;
  const d = input.features.device;
  const out: Reason[] = [];
  const family = d.uaFamily ? ` (${d.uaFamily})` : '';
  if (d.isBot) out.push(reason('device.bot', w.bot, `bot user agent${family}`));
  if (d.isHeadless) out.push(reason('device.headless', w.headless, `headless browser${family}`));
  if (d.isCli) out.push(reason('device.cli', w.cli, `command-line client${family}`));
  // A policy stored before the weight existed keeps scoring a missing agent as it did then (the cli weight).
  if (d.uaMissing) out.push(reason('device.ua_missing', w.uaMissing ?? w.cli, 'no user agent sent'));

  const h = ctx.history;
  if (h === undefined) return out;
  const e = input.policy.weights.evidence;
  const now = input.now;
  const trustDays = input.policy.learning.trustDays;
  const t = h.trusted;
  const newDevice = keys.device === undefined ? anyFresh(t.devices, now, trustDays) : seen.device === undefined;
  if (newDevice) {
    const nu = ctx.habits.novelty('device');
    const what =
      keys.device === undefined ? 'no device id sent, but this user has trusted devices' : 'device never proved';
    evidenceReason(
      out,
      'device.new',
      ATTACKER.newDevice / nu,
      e.device,
      e,
      `${what}; a new device in ${percent(nu)} of logins`,
    );
  }
  if (seen.ua !== undefined) return out;

  let changed = '';
  if (!familyKnown(t.browsers, keys.browser, now, trustDays)) changed = `browser ${d.uaFamily ?? 'unknown'}`;
  if (!familyKnown(t.oses, keys.os, now, trustDays)) changed += `${changed ? ', ' : ''}OS ${d.os ?? 'unknown'}`;
  if (seen.deviceType === undefined) changed += `${changed ? ', ' : ''}device type ${keys.deviceType}`;
  if (changed) {
    const nu = ctx.habits.novelty('ua');
    const detail = `never used by this user: ${changed}; a new browser, OS or device type in ${percent(nu)} of logins`;
    evidenceReason(out, 'device.ua_changed', ATTACKER.newUserAgent / nu, e.userAgent, e, detail);
    return out;
  }
  const nu = ctx.habits.novelty('uaVersion');
  const major = Number(d.browserMajor);
  const newest = d.uaFamily ? newestMajor(t.browsers, d.uaFamily, now, trustDays) : -Infinity;
  const older = Number.isFinite(major) && Number.isFinite(newest) && major < newest;
  const what = older
    ? `${d.uaFamily ?? 'browser'} ${d.browserMajor ?? ''} is older than the version ${newest} this user moved to`
    : 'a user agent of the same browser and OS never used by this user';
  evidenceReason(
    out,
    'device.ua_version',
    ATTACKER.otherVersion / (older ? nu * OLDER_VERSION_SHARE : nu),
    e.userAgent,
    e,
    `${what}; a new version in ${percent(nu)} of logins`,
  );
  return out;
}
