import { cidrContains } from '../../net/ip';
import type { ListEntry } from '../../policy/compiled-policy';
import type { Reason } from '../types';
import type { SignalContext } from './context';

/**
 * By address when there is one; a pseudonymized record (replayed) names the entries that contained its address
 * instead, so an entry it does not name (one a replayed policy added) cannot match it.
 */
function firstMatch(entries: readonly ListEntry[], ctx: SignalContext): ListEntry | undefined {
  const ip = ctx.ip;
  if (ip !== undefined) {
    for (const entry of entries) if (cidrContains(entry.range, ip)) return entry;
    return undefined;
  }
  const named = ctx.input.features.lists;
  if (named === undefined || named.length === 0) return undefined;
  for (const entry of entries) if (named.includes(entry.canonical)) return entry;
  return undefined;
}

/**
 * Deny list (hard rule), allow list (negative points) and threat-feed reputation. A denied IP gets no allow-list
 * credit: an entry on both lists is a conflict the deny side must win.
 */
export function listSignals(ctx: SignalContext): Reason[] {
  const w = ctx.input.policy.weights;
  const out: Reason[] = [];
  const denied = firstMatch(ctx.compiled.deny, ctx);
  if (denied) {
    out.push({ code: 'ip.denylisted', points: w.lists.denylisted, detail: `matches deny-list entry ${denied.text}` });
  } else {
    const allowed = firstMatch(ctx.compiled.allow, ctx);
    if (allowed) {
      out.push({
        code: 'ip.allowlisted',
        points: w.lists.allowlisted,
        detail: `matches allow-list entry ${allowed.text}`,
      });
    }
  }
  if (ctx.input.threat?.attackIp === true) {
    out.push({ code: 'ip.attack_reputation', points: w.ipReputation.attackIp, detail: 'threat feed lists this IP' });
  }
  return out;
}
