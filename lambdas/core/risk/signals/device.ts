import { isEmptyMap, sighting } from '../profile';
import type { Reason, SightingMap } from '../types';
import { reason, type SignalContext } from './context';

function familyKnown(browsers: SightingMap | undefined, family: string | undefined): boolean {
  if (browsers === undefined || family === undefined) return false;
  // Browser keys carry the major version ("Chrome 120"); a version upgrade is not a changed user agent.
  for (const key in browsers) {
    if (
      Object.hasOwn(browsers, key) &&
      key.startsWith(family) &&
      (key.length === family.length || key[family.length] === ' ')
    ) {
      return true;
    }
  }
  return false;
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

  const h = ctx.history;
  if (h === undefined) return out;
  const t = h.trusted;
  const deviceKey = ctx.keys.device;
  if (deviceKey === undefined) {
    if (!isEmptyMap(t.devices)) {
      out.push(reason('device.new', w.newDevice, 'no device id sent, but this user has trusted devices'));
    }
  } else if (sighting(t.devices, deviceKey) === undefined) {
    out.push(reason('device.new', w.newDevice, 'device never used in a trusted session'));
  }

  let changed = '';
  if (!isEmptyMap(t.browsers) && !familyKnown(t.browsers, d.uaFamily)) changed = `browser ${d.uaFamily ?? 'unknown'}`;
  if (!isEmptyMap(t.oses) && sighting(t.oses, ctx.keys.os) === undefined) {
    changed += `${changed ? ', ' : ''}OS ${d.os ?? 'unknown'}`;
  }
  if (!isEmptyMap(t.deviceTypes) && sighting(t.deviceTypes, ctx.keys.deviceType) === undefined) {
    changed += `${changed ? ', ' : ''}device type ${ctx.keys.deviceType}`;
  }
  if (changed) out.push(reason('device.ua_changed', w.uaChanged, `never seen for this user: ${changed}`));
  return out;
}
