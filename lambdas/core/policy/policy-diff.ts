/**
 * A structural diff of two policy documents (or any plain JSON), for version history, review before `apply` and
 * the before/after of the audit record. Objects are compared key by key; arrays and scalars are compared as whole
 * values, because a list such as `lists.deny` reads better as "was [...], is [...]" than as index shuffles.
 */
export type PolicyChangeKind = 'added' | 'removed' | 'changed';

export interface PolicyChange {
  /** Dotted path, as in policy validation errors: `levels.high.stepUpAt`, `actions.payment.transfer.level`. */
  readonly path: string;
  readonly kind: PolicyChangeKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface DiffOptions {
  /** Top-level keys left out. Default `['version']`: every stored version differs there, which is no news. */
  readonly ignore?: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function walk(before: unknown, after: unknown, path: string, out: PolicyChange[], ignore: ReadonlySet<string>): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    // Sorted so the same two documents always give the same list, whatever their key order.
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      if (path === '' && ignore.has(key)) continue;
      const sub = path === '' ? key : `${path}.${key}`;
      const b = Object.hasOwn(before, key) ? before[key] : undefined;
      const a = Object.hasOwn(after, key) ? after[key] : undefined;
      if (b === undefined && a === undefined) continue;
      if (b === undefined) out.push({ path: sub, kind: 'added', after: a });
      else if (a === undefined) out.push({ path: sub, kind: 'removed', before: b });
      else walk(b, a, sub, out, ignore);
    }
    return;
  }
  if (!jsonEqual(before, after)) out.push({ path: path || '(root)', kind: 'changed', before, after });
}

/** Every path whose value differs between `before` and `after`, in key order. Empty when they are equal. */
export function diffPolicies(before: unknown, after: unknown, options: DiffOptions = {}): PolicyChange[] {
  const out: PolicyChange[] = [];
  walk(before, after, '', out, new Set(options.ignore ?? ['version']));
  return out;
}
