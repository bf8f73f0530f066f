import { POPULATION_NOVELTY } from '../habits';
import { anyFresh } from '../profile';
import type { Reason } from '../types';
import type { SignalContext } from './context';
import { ATTACKER, MIN_POPULATION, POPULAR_MOVES, evidenceReason, percent } from './evidence';

/**
 * The network in a reason's words: its AS number, else only which kind of block it is. A prefix is an identifier
 * (stored as a pseudonym under the privacy setting), and a reason must read the same either way.
 */
function networkName(asn: string | undefined, prefix: string | undefined): string {
  if (asn !== undefined) return `network ${/^as/i.test(asn) ? asn.toUpperCase() : `AS${asn}`}`;
  return prefix === undefined ? 'an unknown network' : "this address's block (/24, /48)";
}

/**
 * Where the request comes from, judged against the user's own habits: the part of a login's origin a stolen
 * password cannot bring along. The network is the AS number when the locator knows it and the user's history has
 * AS numbers, else the address prefix (/24, /48).
 *
 * - A network the user never proved (`geo.new_network`): likelihood ratio (1 − a) / ν, where a is the chance that
 *   an attacker lands in one of the user's networks anyway and ν how often this user brings a new network (a
 *   traveller or a phone user often does, someone on one home line never does).
 * - A new address in a network the user trusts (`ip.new_address`): a / ((1 − ν) · c), with c how often this user
 *   comes from a new address in that very network (a mobile carrier rotates addresses, a home line rarely
 *   changes). A new address in a /24 the user trusts adds nothing.
 * - A new network few of the service's users share (`network.rare`), once the population is large enough to say:
 *   an attacker's network is any network (ordinary share o), while most networks a user newly adopts are popular
 *   ones (providers, carriers: a share POPULAR_MOVES of them follow the population, the rest are anywhere: hotels,
 *   cafés); the ratio o / (POPULAR_MOVES · share + (1 − POPULAR_MOVES) · o) stays below 1 / (1 − POPULAR_MOVES)
 *   however rare the network, since nobody else on a network is also what a hotel's looks like.
 */
export function networkSignals(ctx: SignalContext): Reason[] {
  const h = ctx.history;
  const { input, keys, seen } = ctx;
  if (h === undefined || input.features.geo.kind !== 'public' || seen.ip !== undefined) return [];
  const { policy } = input;
  const e = policy.weights.evidence;
  const useAsn = keys.asn !== undefined && anyFresh(h.trusted.asns, input.now, policy.learning.trustDays);
  const known = useAsn ? seen.asn : seen.prefix;
  const name = networkName(useAsn ? keys.asn : undefined, keys.prefix);
  const out: Reason[] = [];
  const nu = ctx.habits.novelty('net');
  if (known !== undefined) {
    if (useAsn && seen.prefix !== undefined) return out;
    const k = e.priorLogins;
    const churn = ((known.fresh ?? 0) + k * POPULATION_NOVELTY.ip) / (known.count + k);
    evidenceReason(
      out,
      'ip.new_address',
      ATTACKER.knownNetwork / ((1 - nu) * churn),
      e.address,
      e,
      `new address in ${name}, where this user comes from a new address in ${percent(churn)} of logins`,
    );
    return out;
  }
  evidenceReason(
    out,
    'geo.new_network',
    (1 - ATTACKER.knownNetwork) / nu,
    e.network,
    e,
    `first time from ${name}; this user brings a new network in ${percent(nu)} of logins`,
  );
  const g = input.global;
  if (g.total >= MIN_POPULATION) {
    const users = keys.asn !== undefined ? g.asn : g.prefix;
    const share = (users + 0.5) / (g.total + 1);
    const ordinary = e.ordinaryNetworkShare;
    evidenceReason(
      out,
      'network.rare',
      ordinary / (POPULAR_MOVES * share + (1 - POPULAR_MOVES) * ordinary),
      e.rareNetwork,
      e,
      `${networkName(keys.asn, keys.prefix)} is trusted by ${users} of ${g.total} users`,
    );
  }
  return out;
}
