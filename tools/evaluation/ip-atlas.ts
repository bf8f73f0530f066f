import type { GeoLocator } from '../../lambdas/ports/geo-locator';
import { hash32, type Prng } from './prng';

/** Where an address is, as the geo locator (geoip-lite) places it and as a generated row states it. */
export interface Place {
  country: string;
  /** The locator's region code, e.g. "46" for Vestland. */
  region?: string;
  city: string;
}

/** A /24 network that the locator places in a city, with the (synthetic, stable) AS number that announces it. */
export interface Block {
  base: number;
  place: Place;
  asn: string;
  /** Datacenter/VPN provider rather than an access network (ISP, carrier, office). */
  hosting: boolean;
}

export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export type AsLayout = 'tidy' | 'untidy';

/**
 * A map of real address space, found by asking the geo locator about random IPv4 addresses, so that every address
 * the traffic generator writes is one geoip-lite places exactly where the row says. geoip-lite knows no AS
 * numbers, so networks get synthetic ones:
 *
 * - tidy: one AS per (country, /12), so neighbouring blocks of one provider share it; a stable fifth of the AS
 *   numbers are hosting providers (VPN exits, proxies); the provider with the most address space in a country is
 *   its mobile carrier.
 * - untidy: AS sizes vary from a /16 to a /8 per country, one block in ten is announced by a multinational AS that
 *   spans countries, hosting ranges are decided per block (so they also sit inside access providers), and the
 *   carrier announces from the three largest access AS numbers of the country.
 */
export class IpAtlas {
  readonly blocks: Block[] = [];
  private readonly byCountry = new Map<string, Block[]>();
  private readonly byRegion = new Map<string, Block[]>();
  private readonly byCity = new Map<string, Block[]>();
  private readonly carriers = new Map<string, Block[]>();
  private readonly byAsn = new Map<string, Block[]>();

  constructor(
    private readonly locator: GeoLocator,
    rng: Prng,
    samples: number,
    readonly layout: AsLayout = 'tidy',
  ) {
    const seen = new Set<number>();
    for (let i = 0; i < samples; i++) {
      const ip = Math.floor(rng.next() * 4294967296) >>> 0;
      const base = (ip & 0xffffff00) >>> 0;
      if (seen.has(base)) continue;
      const place = this.placeOf(ipv4Text(base | 1));
      if (!place) continue;
      seen.add(base);
      const block = layout === 'tidy' ? tidyBlock(base, place) : untidyBlock(base, place);
      this.blocks.push(block);
      push(this.byCountry, place.country, block);
      push(this.byRegion, regionKey(place), block);
      push(this.byCity, cityKey(place), block);
      push(this.byAsn, block.asn, block);
    }
    // The providers with the most access address space in a country play its mobile carrier: phones on cellular
    // data get addresses from its pools all over the country.
    const access = new Map<string, Block[]>();
    for (const b of this.blocks) if (!b.hosting) push(access, `${b.place.country}|${b.asn}`, b);
    const ranked = new Map<string, Block[][]>();
    for (const [key, list] of access) push(ranked, key.split('|')[0] ?? '', list);
    const carrierAsns = layout === 'tidy' ? 1 : 3;
    for (const [country, lists] of ranked) {
      lists.sort((a, b) => b.length - a.length || (a[0]?.base ?? 0) - (b[0]?.base ?? 0));
      this.carriers.set(country, lists.slice(0, carrierAsns).flat());
    }
  }

  placeOf(ip: string): Place | undefined {
    const geo = this.locator.locate(ip);
    if (geo.kind !== 'public' || !geo.country || !geo.city) return undefined;
    return geo.region
      ? { country: geo.country, region: geo.region, city: geo.city }
      : { country: geo.country, city: geo.city };
  }

  countries(): string[] {
    return [...this.byCountry.keys()].sort();
  }

  /** Blocks in a country; `hosting` selects datacenter (true) or access (false) networks, with a fallback to all. */
  inCountry(country: string, hosting?: boolean): readonly Block[] {
    return only(this.byCountry.get(country) ?? [], hosting);
  }

  inRegion(place: Place, hosting?: boolean): readonly Block[] {
    return only(this.byRegion.get(regionKey(place)) ?? [], hosting);
  }

  inCity(place: Place, hosting?: boolean): readonly Block[] {
    return only(this.byCity.get(cityKey(place)) ?? [], hosting);
  }

  carrier(country: string): readonly Block[] {
    return this.carriers.get(country) ?? this.inCountry(country);
  }

  /** Blocks announced by an AS number (in any country). */
  inAsn(asn: string): readonly Block[] {
    return this.byAsn.get(asn) ?? [];
  }

  /**
   * A host address in the block that the locator places in the block's city (a /24 can straddle two ranges of
   * the geo database; then the probed address itself is used).
   */
  address(block: Block, rng: Prng): string {
    const ip = ipv4Text(block.base | (1 + rng.int(254)));
    const place = this.placeOf(ip);
    return place && cityKey(place) === cityKey(block.place) ? ip : ipv4Text(block.base | 1);
  }
}

function tidyBlock(base: number, place: Place): Block {
  const asn = String(1000 + (hash32(`${place.country}:${base >>> 20}`) % 399_000));
  // About one network in five belongs to a hosting or VPN provider: where VPN exits live, and where people do not
  // have their home connection.
  return { base, place, asn, hosting: hash32(`hosting:${asn}`) % 5 === 0 };
}

function untidyBlock(base: number, place: Place): Block {
  // Prefix length of the AS that announces this block: /8 to /16, stable per country and /20.
  const shift = 16 + (hash32(`size:${place.country}:${base >>> 20}`) % 9);
  const multinational = hash32(`intl:${base >>> 16}`) % 10 === 0;
  const asn = multinational
    ? String(400_000 + (hash32(`intl-as:${base >>> 22}`) % 7))
    : String(1000 + (hash32(`${place.country}:${base >>> shift}`) % 399_000));
  // Hosting per block: datacenter ranges inside access providers' AS numbers, and access ranges inside hosters'.
  return { base, place, asn, hosting: hash32(`hosting-block:${base >>> 8}`) % 6 === 0 };
}

function only(blocks: readonly Block[], hosting: boolean | undefined): readonly Block[] {
  if (hosting === undefined) return blocks;
  const some = blocks.filter((b) => b.hosting === hosting);
  return some.length > 0 ? some : blocks;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function regionKey(p: Place): string {
  return `${p.country}/${p.region ?? ''}`;
}

function cityKey(p: Place): string {
  return `${p.country}/${p.region ?? ''}/${p.city}`;
}
