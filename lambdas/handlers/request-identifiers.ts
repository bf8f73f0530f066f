import { formatIp, parseIp, velocityNetwork, type IpAddress } from '../core/net/ip';
import { boundKey, contextKeysFor } from '../core/risk/context-keys';
import { isPseudonym } from '../core/risk/pseudonyms';
import type { Device, Geo, RequestFeatures } from '../core/risk/types';
import type { VelocityKeys } from '../ports/decision-store';
import type { IdentifierKind, Pseudonymizer } from '../ports/pseudonymizer';

/** A request's identifiers in the forms the decision path needs. */
export interface IdentifiedRequest {
  /** The velocity counters' subjects: always pseudonyms, whatever the privacy setting. */
  readonly velocityKeys: VelocityKeys;
  /** The features with every identifier replaced by its pseudonym, coarse attributes kept. */
  readonly pseudonymous: RequestFeatures;
}

/**
 * The edge between raw request identifiers and the pure core: turns a request's address, device id, network prefix
 * and user-agent key into keyed pseudonyms. Each pseudonym is taken of the key the core would store for the raw value
 * (`contextKeysFor`), so raw and pseudonymous profiles convert into each other exactly (`pseudonyms.ts`).
 *
 * Geo and device objects are shared per address and per user agent by their adapters (and the core caches keys per
 * object), so their pseudonymous copies are cached per original object too: a warm decision hashes only its
 * address and device id.
 */
export class RequestIdentifiers {
  private readonly geos = new WeakMap<Geo, Geo>();
  private readonly devices = new WeakMap<Device, Device>();

  constructor(private readonly pseudonymizer: Pseudonymizer) {}

  pseudonym(kind: IdentifierKind, key: string): string {
    return this.pseudonymizer.pseudonym(kind, key);
  }

  bodyDigest(body: string): string {
    return this.pseudonymizer.bodyDigest(body);
  }

  /** `address` is `features.ip` parsed (the decision API accepts nothing else). */
  identify(features: RequestFeatures, address: IpAddress): IdentifiedRequest {
    const keys = contextKeysFor(features, address);
    const ip = this.pseudonym('ip', keys.ip);
    const network = velocityNetwork(address);
    return {
      velocityKeys: { ip, ...(network !== undefined ? { network: this.pseudonym('network', network) } : {}) },
      pseudonymous: {
        ip,
        ...(keys.device !== undefined ? { deviceId: this.pseudonym('device', keys.device) } : {}),
        geo: this.geo(features.geo, keys.prefix),
        device: this.device(features.device),
      },
    };
  }

  private geo(geo: Geo, prefix: string | undefined): Geo {
    // The prefix key falls back on the address when the locator gave none: only a geo that carries it is cacheable.
    const cacheable = geo.prefix !== undefined;
    const hit = cacheable ? this.geos.get(geo) : undefined;
    if (hit) return hit;
    const { prefix: _raw, ...coarse } = geo;
    const out: Geo = Object.freeze({
      ...coarse,
      ...(prefix !== undefined ? { prefix: this.pseudonym('network', prefix) } : {}),
    });
    if (cacheable) this.geos.set(geo, out);
    return out;
  }

  private device(device: Device): Device {
    if (!device.uaKey) return device;
    let out = this.devices.get(device);
    if (out === undefined) {
      out = Object.freeze({ ...device, uaKey: this.pseudonym('user-agent', boundKey(device.uaKey)) });
      this.devices.set(device, out);
    }
    return out;
  }
}

/** One `RequestIdentifiers` (and its caches) per pseudonymizer, that is per key. */
export function requestIdentifiers(): (pseudonymizer: Pseudonymizer) => RequestIdentifiers {
  const built = new WeakMap<Pseudonymizer, RequestIdentifiers>();
  return (pseudonymizer) => {
    let ids = built.get(pseudonymizer);
    if (ids === undefined) {
      ids = new RequestIdentifiers(pseudonymizer);
      built.set(pseudonymizer, ids);
    }
    return ids;
  };
}

/**
 * The velocity subject (`VelocityKeys.ip`) of an address as a stored decision holds it: raw, or already the
 * pseudonym (privacy setting on). Undefined for text that is neither.
 */
export function addressSubjectOf(
  pseudonymizer: () => Promise<Pseudonymizer>,
): (ip: string) => Promise<string | undefined> {
  return async (ip) => {
    if (isPseudonym(ip)) return ip;
    const parsed = parseIp(ip);
    return parsed === undefined ? undefined : (await pseudonymizer()).pseudonym('ip', formatIp(parsed));
  };
}
