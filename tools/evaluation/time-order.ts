/**
 * Puts a nearly sorted stream into time order with bounded memory: a min-heap of the last `capacity` items, the
 * earliest leaving first. The RBA dataset is written in time order; this absorbs local jitter (e.g. rows merged
 * from several servers). An item older than one already released cannot be placed any more: it is released at
 * once and counted as `late`, so the report can say how far the input was from time order.
 */
export class TimeOrderBuffer<T> {
  private readonly heap: { t: number; seq: number; item: T }[] = [];
  private seq = 0;
  private released = -Infinity;
  late = 0;

  constructor(
    private readonly capacity: number,
    private readonly timeOf: (item: T) => number,
  ) {}

  /** Adds an item; returns the items that must leave now (zero, one or, for a late item, that item). */
  push(item: T, out: (item: T) => void): void {
    const t = this.timeOf(item);
    if (t < this.released) {
      this.late++;
      out(item);
      return;
    }
    this.insert({ t, seq: this.seq++, item });
    if (this.heap.length > this.capacity) this.releaseOne(out);
  }

  /** Releases everything left, in order. */
  drain(out: (item: T) => void): void {
    while (this.heap.length > 0) this.releaseOne(out);
  }

  private releaseOne(out: (item: T) => void): void {
    const top = this.pop();
    this.released = top.t;
    out(top.item);
  }

  private less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private insert(node: { t: number; seq: number; item: T }): void {
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(node, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = node;
  }

  private pop(): { t: number; seq: number; item: T } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && this.less(h[r]!, h[l]!) ? r : l;
        if (!this.less(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
