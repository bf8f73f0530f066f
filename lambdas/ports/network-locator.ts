/** The network an address is announced from: its autonomous system and the routed block it falls in. */
export interface Network {
  /** Autonomous system number, e.g. 15169. */
  readonly asn: number;
  /** The AS holder's name as the data source spells it ('' when the source has none). */
  readonly org: string;
  /** The largest CIDR block around the address that the source maps to this AS, e.g. "8.8.8.0/24". */
  readonly prefix: string;
}

/** Where the lookup data came from and how old it is, for operators (logs, metrics, `stepgate network info`). */
export interface NetworkDataInfo {
  /** e.g. "@ip-location-db/asn" or the file names it was built from. */
  readonly source: string;
  /** The source's own version label, when it has one. */
  readonly version?: string;
  /** Day the upstream data was published (YYYY-MM-DD): the age operators watch. */
  readonly dataDate: string;
  readonly ipv4Ranges: number;
  readonly ipv6Ranges: number;
}

/**
 * IP address (v4 or v6 text) → the network it is announced from. Never throws: malformed, private and reserved
 * addresses, and public ones the data does not cover, answer `undefined` ("no network").
 */
export interface NetworkLocator {
  lookup(ip: string): Network | undefined;
  readonly info: NetworkDataInfo;
}
