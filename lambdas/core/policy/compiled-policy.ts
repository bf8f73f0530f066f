import { parseCidr, type CidrRange } from '../net/ip';
import type { Policy } from './policy-schema';

export interface ListEntry {
  readonly range: CidrRange;
  readonly text: string;
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
    if (range) out.push({ range, text });
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
