import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import type { Policy } from '../../../lambdas/core/policy/policy-schema';
import {
  authenticatorChangeLevel,
  checkAuthenticatorChangeGrant,
  type ChangeGrant,
  type ChangeRequest,
} from '../../../lambdas/core/step-up/authenticator-change';

const NOW = Date.parse('2026-11-29T10:00:00Z');

const grant = (over: Partial<ChangeGrant> = {}): ChangeGrant => ({
  stepUpId: 'su-1',
  userId: 'alice@example.com',
  action: 'mfa.change',
  acr: 'urn:stepgate:acr:otp',
  status: 'granted',
  grantedAt: NOW - 60_000,
  passedBy: 'alice-cognito-name',
  ...over,
});
const request: ChangeRequest = { username: 'alice-cognito-name', deviceId: undefined, sessionId: undefined, now: NOW };

describe('the grant rule for changing authenticators', () => {
  it('accepts a fresh mfa.change grant passed by this very user, not yet used for a change', () => {
    expect(checkAuthenticatorChangeGrant(grant(), request, defaultPolicy)).toEqual({ ok: true });
  });

  it.each<[string, Partial<ChangeGrant>, Partial<ChangeRequest>?]>([
    ['not passed', { status: 'pending', grantedAt: undefined }],
    ['failed', { status: 'failed' }],
    ['passed by another user', { passedBy: 'mallory' }],
    ['of unknown passer', { passedBy: undefined }],
    ['for another action', { action: 'payment.transfer' }],
    ['that already authorised a change', { changeRedeemedAt: NOW - 1000 }],
    ['older than the level allows (critical: single use within 300 s)', { grantedAt: NOW - 301_000 }],
    ['dated in the future', { grantedAt: NOW + 120_000 }],
    ['of a weaker acr', { acr: 'urn:stepgate:acr:password' }],
    ['bound to another session', { sessionId: 'sess-A' }, { sessionId: 'sess-B' }],
    ['bound to a session the request does not name', { sessionId: 'sess-A' }],
    ['bound to another device', { deviceId: 'phone' }, { deviceId: 'laptop' }],
    ['bound to a device the request does not name', { deviceId: 'phone' }],
  ])('refuses a grant %s', (_name, over, req = {}) => {
    const check = checkAuthenticatorChangeGrant(grant(over), { ...request, ...req }, defaultPolicy);
    expect(check.ok).toBe(false);
  });

  it('accepts a bound grant from its own session and device', () => {
    const bound = grant({ sessionId: 'sess-A', deviceId: 'phone' });
    expect(
      checkAuthenticatorChangeGrant(bound, { ...request, sessionId: 'sess-A', deviceId: 'phone' }, defaultPolicy),
    ).toEqual({
      ok: true,
    });
  });

  it('judges at the catalogue level of mfa.change, never below the built-in floor (critical)', () => {
    expect(authenticatorChangeLevel(defaultPolicy)).toBe('critical');
    // A document that bypassed validation (below the floor, or without the action) is still judged at critical.
    const lowered = {
      ...defaultPolicy,
      actions: { ...defaultPolicy.actions, 'mfa.change': { level: 'high' as const } },
    };
    expect(authenticatorChangeLevel(lowered)).toBe('critical');
    const { 'mfa.change': _gone, ...rest } = defaultPolicy.actions;
    expect(authenticatorChangeLevel({ ...defaultPolicy, actions: rest })).toBe('critical');
    // The critical level's window applies even when high's would be longer.
    const laxHigh: Policy = {
      ...defaultPolicy,
      levels: { ...defaultPolicy.levels, high: { ...defaultPolicy.levels.high, maxAgeSeconds: 900 } },
    };
    expect(checkAuthenticatorChangeGrant(grant({ grantedAt: NOW - 600_000 }), request, laxHigh).ok).toBe(false);
  });
});
