import { defaultPolicy } from './default-policy';

type Doc = Record<string, unknown>;

const isObject = (x: unknown): x is Doc => typeof x === 'object' && x !== null && !Array.isArray(x);

function pick(from: unknown, keys: readonly string[]): Doc {
  const out: Doc = {};
  if (!isObject(from)) return out;
  for (const key of keys) if (Object.hasOwn(from, key)) out[key] = from[key];
  return out;
}

/**
 * A stored policy document written before the evidence model (flat points for novelty, the `familiarity` block)
 * brought to the current shape, so that a stack upgraded in place keeps deciding with its stored policy instead of
 * reporting it corrupt: the novelty points and familiarity settings it had have no counterpart and give way to the
 * default evidence weights; every threshold, action, list, rule and setting it had is kept as it was. A document
 * already in the current shape (or anything else) is returned unchanged, and the schema still judges the result.
 */
export function upgradeStoredPolicy(document: unknown): unknown {
  if (!isObject(document) || !isObject(document.weights)) return document;
  const weights = document.weights;
  if (Object.hasOwn(weights, 'evidence') || !Object.hasOwn(weights, 'familiarity')) return document;
  const defaults = defaultPolicy.weights;
  const velocity = isObject(weights.velocity) ? weights.velocity : {};
  const learning = isObject(document.learning) ? document.learning : {};
  return {
    ...document,
    weights: {
      ...pick(weights, ['newUser', 'ipReputation', 'lists']),
      evidence: structuredClone(defaults.evidence),
      device: pick(weights.device, ['bot', 'headless', 'cli', 'uaMissing']),
      geo: pick(weights.geo, ['privateIp', 'unknownLocation']),
      sequence: structuredClone(defaults.sequence),
      velocity: { ipFailedSignIns: structuredClone(defaults.velocity.ipFailedSignIns), ...velocity },
    },
    learning: {
      ...pick(defaultPolicy.learning, ['confirmDays', 'confirmUses', 'trustDays', 'halfLifeDays']),
      ...learning,
    },
  };
}
