import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { diffPolicies } from '../../../lambdas/core/policy/policy-diff';

describe('policy diff', () => {
  it('lists changed, added and removed paths with before and after, ignoring the version', () => {
    const next = structuredClone(defaultPolicy);
    next.version = 7;
    next.levels.high.stepUpAt = 20;
    next.lists.deny = ['198.18.0.0/15'];
    next.actions['report.download'] = { level: 'medium' };
    delete (next.actions as Record<string, unknown>)['profile.view'];
    expect(diffPolicies(defaultPolicy, next)).toEqual([
      { path: 'actions.profile.view', kind: 'removed', before: defaultPolicy.actions['profile.view'] },
      { path: 'actions.report.download', kind: 'added', after: { level: 'medium' } },
      { path: 'levels.high.stepUpAt', kind: 'changed', before: 25, after: 20 },
      { path: 'lists.deny', kind: 'changed', before: [], after: ['198.18.0.0/15'] },
    ]);
  });

  it('is empty for equal documents whatever their key order', () => {
    const reordered = JSON.parse(JSON.stringify(defaultPolicy, Object.keys(defaultPolicy).reverse())) as unknown;
    expect(diffPolicies(defaultPolicy, structuredClone(defaultPolicy))).toEqual([]);
    expect(diffPolicies({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toEqual([]);
    expect(diffPolicies(defaultPolicy, { ...(reordered as object), ...defaultPolicy })).toEqual([]);
  });

  it('reports the version when asked to', () => {
    expect(diffPolicies({ version: 1 }, { version: 2 }, { ignore: [] })).toEqual([
      { path: 'version', kind: 'changed', before: 1, after: 2 },
    ]);
  });
});
