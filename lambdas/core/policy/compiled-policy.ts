import { cidrContains, formatCidr, parseCidr, type CidrRange, type IpAddress } from '../net/ip';
import type { Policy } from './policy-schema';

export interface ListEntry {
  readonly range: CidrRange;
  readonly text: string;
  /** `network/bits` as `formatCidr` writes it: how pseudonymized records name the entries that matched. */
  readonly canonical: string;
}

/** What the engine derives from a policy once, instead of on every decision. */
export interface CompiledPolicy {
  readonly allow: readonly ListEntry[];
  readonly deny: readonly ListEntry[];
}

// Keyed by the policy object: policies are immutable once loaded, and a new version is a new object, so entries
// die with the policy they were built from.
const cache = new WeakMap<Policy, CompiledPolicy>();

function compileList(list: readonly string[]): ListEntry[] {
  const out: ListEntry[] = [];
  for (const text of list) {
    // Lenient here: the schema already rejected bad entries; an unvalidated policy must not crash a decision.
    const range = parseCidr(text, { strict: false });
    if (range) out.push({ range, text, canonical: formatCidr(range) });
  }
  return out;
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  let compiled = cache.get(policy);
  if (!compiled) {
    compiled = { allow: compileList(policy.lists.allow), deny: compileList(policy.lists.deny) };
    cache.set(policy, compiled);
  }
  return compiled;
}

/**
 * The canonical allow- and deny-list entries that contain `addr`: what a pseudonymized record keeps of its address
 * so that a replay under this policy, or a candidate sharing these entries, matches the lists as the decision did.
 */
export function listEntriesContaining(policy: Policy, addr: IpAddress): string[] {
  const { allow, deny } = compilePolicy(policy);
  const out = new Set<string>();
  for (const entry of deny) if (cidrContains(entry.range, addr)) out.add(entry.canonical);
  for (const entry of allow) if (cidrContains(entry.range, addr)) out.add(entry.canonical);
  return [...out];
}
