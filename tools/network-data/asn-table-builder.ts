import { encodeAsnTable, type AsnTableSource } from '../../lambdas/adapters/asn-table/asn-table-format';

/** One input range, as a source file states it. */
export interface AsnRange {
  readonly version: 4 | 6;
  /** First and last address, as integers (IPv4 < 2^32, IPv6 < 2^128). */
  readonly start: bigint;
  readonly end: bigint;
  readonly asn: number;
  readonly org: string;
  /** Where it was read, for error messages: a file name (with `line`) or a file and network. */
  readonly source: string;
  readonly line?: number;
}

/** `file.csv:17`, or the source as it is when it has no lines. */
export function whereOf(r: Pick<AsnRange, 'source' | 'line'>): string {
  return r.line === undefined ? r.source : `${r.source}:${r.line}`;
}

/** Input that cannot become a table; the message names the file and line. */
export class NetworkDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkDataError';
  }
}

const MAX_ASN = 4_294_967_295;
const TOP = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n } as const;

interface Item {
  start: bigint;
  end: bigint;
  net: number;
  /** Input position: among equally specific overlapping ranges, the one listed first wins. */
  order: number;
}

/**
 * Turns ranges (any order, possibly overlapping) into a table file.
 *
 * Overlaps are resolved as routers resolve announcements: at every address the most specific (smallest) range
 * that contains it wins, and among ranges of equal size the one listed first. The usual sources (ip-location-db,
 * iptoasn) are already disjoint and sorted, which is checked in one pass and costs nothing more. Neighbouring
 * ranges of the same network are merged, so the table is as small as the data allows. Same input, same bytes.
 */
export function buildAsnTable(ranges: Iterable<AsnRange>, info: AsnTableSource): Buffer {
  const networks: { asn: number; org: string }[] = [];
  const netIndex = new Map<number, Map<string, number>>();
  const items: Record<4 | 6, Item[]> = { 4: [], 6: [] };
  let order = 0;
  for (const r of ranges) {
    if (r.start > r.end) throw new NetworkDataError(`${whereOf(r)}: range starts after it ends`);
    if (r.start < 0n || r.end > TOP[r.version]) throw new NetworkDataError(`${whereOf(r)}: address out of range`);
    if (!Number.isSafeInteger(r.asn) || r.asn < 1 || r.asn > MAX_ASN) {
      throw new NetworkDataError(`${whereOf(r)}: AS number ${r.asn} is outside 1-${MAX_ASN}`);
    }
    let byOrg = netIndex.get(r.asn);
    if (byOrg === undefined) netIndex.set(r.asn, (byOrg = new Map<string, number>()));
    let net = byOrg.get(r.org);
    if (net === undefined) {
      net = networks.length;
      networks.push({ asn: r.asn, org: r.org });
      byOrg.set(r.org, net);
    }
    items[r.version].push({ start: r.start, end: r.end, net, order: order++ });
  }
  const v4 = merge(disjoint(items[4]));
  const v6 = merge(disjoint(items[6]));
  return encodeAsnTable(
    {
      v4: { starts: words(v4, 'start', 1), ends: words(v4, 'end', 1), nets: Uint32Array.from(v4, (s) => s.net) },
      v6: { starts: words(v6, 'start', 4), ends: words(v6, 'end', 4), nets: Uint32Array.from(v6, (s) => s.net) },
      networks,
    },
    info,
  );
}

function byStart(a: Item, b: Item): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.order - b.order;
}

/** Sorted, non-overlapping ranges covering exactly what the input covers, each with the network that wins there. */
function disjoint(items: Item[]): Item[] {
  for (let i = 1; i < items.length; i++) {
    if ((items[i] as Item).start < (items[i - 1] as Item).start) {
      items.sort(byStart);
      break;
    }
  }
  // Overlaps are rare (one in the npm package's 412k IPv4 ranges): only clusters of ranges that overlap each other
  // go through the sweep; every other range passes through as it is.
  const out: Item[] = [];
  let i = 0;
  while (i < items.length) {
    const first = items[i] as Item;
    let end = first.end;
    let j = i + 1;
    while (j < items.length && (items[j] as Item).start <= end) {
      const e = (items[j] as Item).end;
      if (e > end) end = e;
      j++;
    }
    if (j === i + 1) out.push(first);
    else out.push(...sweep(items.slice(i, j)));
    i = j;
  }
  return out;
}

/**
 * Walks the sorted ranges keeping the active ones in a heap ordered by specificity: between two consecutive
 * boundaries (a start, or the address after an end) the most specific active range owns the addresses.
 */
function sweep(items: readonly Item[]): Item[] {
  const out: Item[] = [];
  const heap = new MinHeap<Item>((a, b) => {
    const sa = a.end - a.start;
    const sb = b.end - b.start;
    return sa < sb ? -1 : sa > sb ? 1 : a.order - b.order;
  });
  let i = 0;
  let pos = 0n;
  for (;;) {
    while (heap.size > 0 && (heap.peek() as Item).end < pos) heap.pop();
    if (heap.size === 0) {
      const next = items[i];
      if (next === undefined) break;
      pos = next.start;
    }
    while (i < items.length && (items[i] as Item).start <= pos) heap.push(items[i++] as Item);
    while (heap.size > 0 && (heap.peek() as Item).end < pos) heap.pop();
    const top = heap.peek();
    if (top === undefined) continue;
    const nextStart = items[i]?.start;
    const end = nextStart !== undefined && nextStart - 1n < top.end ? nextStart - 1n : top.end;
    out.push({ start: pos, end, net: top.net, order: top.order });
    pos = end + 1n;
  }
  return out;
}

/** Joins ranges that touch and belong to the same network (in place: the items are the builder's own). */
function merge(items: Item[]): Item[] {
  const out: Item[] = [];
  for (const it of items) {
    const last = out[out.length - 1];
    if (last && last.net === it.net && last.end + 1n === it.start) last.end = it.end;
    else out.push(it);
  }
  return out;
}

function words(items: readonly Item[], field: 'start' | 'end', perAddress: 1 | 4): Uint32Array {
  const out = new Uint32Array(items.length * perAddress);
  items.forEach((it, i) => {
    const v = it[field];
    if (perAddress === 1) {
      out[i] = Number(v);
      return;
    }
    for (let w = 0; w < perAddress; w++) {
      out[i * perAddress + w] = Number((v >> BigInt(32 * (perAddress - 1 - w))) & 0xffffffffn);
    }
  });
  return out;
}

/** Binary min-heap: the sweep needs the most specific active range at every boundary. */
class MinHeap<T> {
  private readonly a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => number) {}

  get size(): number {
    return this.a.length;
  }

  peek(): T | undefined {
    return this.a[0];
  }

  push(v: T): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.less(a[i] as T, a[p] as T) >= 0) break;
      [a[i], a[p]] = [a[p] as T, a[i] as T];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l] as T, a[m] as T) < 0) m = l;
        if (r < a.length && this.less(a[r] as T, a[m] as T) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as T, a[i] as T];
        i = m;
      }
    }
    return top;
  }
}
