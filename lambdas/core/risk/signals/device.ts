import { isEmptyMap } from '../profile';
import type { Reason, SightingMap } from '../types';
import { reason, type SignalContext } from './context';

/**
 * True when the user has trusted browsers and none is of this family. Browser keys carry the major version
 * ("Chrome 120"): a version upgrade is not a changed user agent. One pass answers both questions.
 */
function browserFamilyChanged(browsers: SightingMap, family: string | undefined): boolean {
  let any = false;
  for (const key in browsers) {
    if (!Object.hasOwn(browsers, key)) continue;
    any = true;
    if (
      family !== undefined &&
      key.startsWith(family) &&
      (key.length === family.length || key[family.length] === ' ')
    ) {
      return false;
    }
  }
  return any;
}

/**
 * Automation flags always count. Novelty (device id, browser family, OS, device type) counts only against an
 * existing trusted history. A missing device id counts as new once the user has known devices, so that omitting
 * the id can never look better than sending an unknown one.
 */
export function deviceSignals(ctx: SignalContext): Reason[] {
  const w = ctx.input.policy.weights.device;
  const d = ctx.input.features.device;
  const out: Reason[] = [];
  const family = d.uaFamily ? ` (${d.uaFamily})` : '';
  if (d.isBot) out.push(reason('device.bot', w.bot, `bot user agent${family}`));
  if (d.isHeadless) out.push(reason('device.headless', w.headless, `headless browser${family}`));
  if (d.isCli) out.push(reason('device.cli', w.cli, `command-line client${family}`));
  // A policy stored before the weight existed keeps scoring a missing agent as it did then (the cli weight).
  if (d.uaMissing) out.push(reason('device.ua_missing', w.uaMissing ?? w.cli, 'no user agent sent'));

  const h = ctx.history;
  if (h === undefined) return out;
  const t = h.trusted;
  const seen = ctx.seen;
  if (ctx.keys.device === undefined) {
    if (!isEmptyMap(t.devices)) {
      out.push(reason('device.new', w.newDevice, 'no device id sent, but this user has trusted devices'));
    }
  } else if (seen.device === undefined) {
    out.push(reason('device.new', w.newDevice, 'device never used in a trusted session'));
  }

  // A sighting of the key proves its map is not empty, so the emptiness walk only runs for an unseen value.
  let changed = '';
  if (browserFamilyChanged(t.browsers, d.uaFamily)) changed = `browser ${d.uaFamily ?? 'unknown'}`;
  if (seen.os === undefined && !isEmptyMap(t.oses)) {
    changed += `${changed ? ', ' : ''}OS ${d.os ?? 'unknown'}`;
  }
  if (seen.deviceType === undefined && !isEmptyMap(t.deviceTypes)) {
    changed += `${changed ? ', ' : ''}device type ${ctx.keys.deviceType}`;
  }
  if (changed) out.push(reason('device.ua_changed', w.uaChanged, `never seen for this user: ${changed}`));
  return out;
}
