import { parsePolicy, type Policy } from '../../core/policy/policy-schema';
import type { PolicyAdminStore } from '../../ports/policy-admin-store';
import type { PolicyRecord } from '../../ports/policy-store';
import { WorkflowError } from '../errors';

/** How long a policy change (or a shadow start/stop) may take to reach every decide instance: the policy cache. */
export const POLICY_PROPAGATION_SECONDS = 5;

export interface PolicySource {
  readonly policies: Pick<PolicyAdminStore, 'getActive'>;
  /** In force while the table holds no policy (version 0), as in the decide path. */
  readonly fallbackPolicy: PolicyRecord;
}

export async function activePolicy(deps: PolicySource): Promise<PolicyRecord> {
  return (await deps.policies.getActive()) ?? deps.fallbackPolicy;
}

/**
 * Validates a candidate document; the store assigns `version`, so a missing one is filled in. A refusal names every
 * invalid field by its dotted path under `field` (the request field the document came in).
 */
export function parseCandidate(document: Readonly<Record<string, unknown>>, version: number, field = 'policy'): Policy {
  const parsed = parsePolicy({ ...document, version });
  if (parsed.ok) return parsed.policy;
  const first = parsed.issues[0];
  const path = first?.path ? `${field}.${first.path}` : field;
  throw new WorkflowError('invalid_policy', `${path}: ${first?.message ?? 'invalid policy'}`, {
    field: path,
    issues: parsed.issues.map((i) => ({ path: i.path ? `${field}.${i.path}` : field, message: i.message })),
  });
}

/** The version a candidate document declares, if it is a plausible one; else the version it would become. */
export function candidateVersion(document: Readonly<Record<string, unknown>>, fallback: number): number {
  const value = document.version;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : fallback;
}
