import fc from 'fast-check';
import {
  AuditRecordRejectedError,
  findSecretFields,
  guardAuditEvent,
  isSecretFieldName,
  type AuditEvent,
} from '../../../lambdas/core/audit/audit-event';
import { canonicalJson } from '../../../lambdas/core/audit/canonical-json';
import { eventAt } from './chain-fixture';

const rejectedPath = (event: unknown): string => {
  try {
    guardAuditEvent(event as AuditEvent);
  } catch (error) {
    expect(error).toBeInstanceOf(AuditRecordRejectedError);
    return (error as AuditRecordRejectedError).path;
  }
  throw new Error('expected the event to be rejected');
};

describe('guardAuditEvent', () => {
  it('accepts an ordinary event and returns its canonical encoding', () => {
    const event = eventAt(1, {
      data: { reasonCode: 'geo.new_country', countryCode: 'DE', username: 'alice', footprint: 3 },
    });
    expect(guardAuditEvent(event)).toBe(canonicalJson(event));
  });

  it.each([
    [{ data: { otp: '123456' } }, 'data.otp'],
    [{ data: { code: '123456' } }, 'data.code'],
    [{ data: { smsCode: '123456' } }, 'data.smsCode'],
    [{ data: { otpcode: '123456' } }, 'data.otpcode'],
    [{ data: { accessToken: 'abc' } }, 'data.accessToken'],
    [{ data: { nested: [{ refresh_token: 'abc' }] } }, 'data.nested[0].refresh_token'],
    [{ before: { clientSecret: 'abc' } }, 'before.clientSecret'],
    [{ after: { 'user-password': 'x' } }, 'after.user-password'],
    [{ data: { challengeAnswer: '42' } }, 'data.challengeAnswer'],
    [{ data: { PIN: '1234' } }, 'data.PIN'],
    [{ data: { decisionJWT: 'x' } }, 'data.decisionJWT'],
  ])('refuses a secret-looking field %j', (overrides, path) => {
    expect(rejectedPath(eventAt(1, overrides as Partial<AuditEvent>))).toBe(path);
  });

  it('refuses a JWT-shaped value under any name', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    expect(rejectedPath(eventAt(1, { why: jwt }))).toBe('why');
    expect(rejectedPath(eventAt(1, { data: { list: ['ok', jwt] } }))).toBe('data.list[1]');
  });

  it.each([
    ['an offset instead of Z', { at: '2025-03-01T01:00:00.000+01:00' }, 'at'],
    ['no milliseconds', { at: '2025-03-01T00:00:00Z' }, 'at'],
    ['not a date', { at: 'yesterday' }, 'at'],
    ['an unknown kind', { kind: 'decision.maybe' }, 'kind'],
    ['an unknown actor type', { actor: { type: 'robot', id: 'x' } }, 'actor.type'],
    ['an empty actor id', { actor: { type: 'app', id: '' } }, 'actor.id'],
    ['an empty eventId', { eventId: '' }, 'eventId'],
    ['an oversized subject', { subject: 'x'.repeat(513) }, 'subject'],
    ['a non-integer policy version', { policyVersion: 1.5 }, 'policyVersion'],
    ['reasons that are not strings', { reasons: [1] }, 'reasons'],
    ['an oversized record', { data: { blob: 'x'.repeat(300 * 1024) } }, '(root)'],
  ])('refuses %s', (_name, overrides, path) => {
    expect(rejectedPath({ ...eventAt(1), ...overrides })).toBe(path);
  });

  it('finds a secret field planted at any depth of otherwise harmless data (property)', () => {
    const safeKey = fc.constantFrom(
      'action',
      'country',
      'device',
      'score',
      'ip',
      'reasonCode',
      'label',
      'rule',
      'count',
    );
    const secretKey = fc.constantFrom(
      'otp',
      'code',
      'idToken',
      'api_secret',
      'password',
      'answer',
      'totpSeed',
      'passcode',
    );
    const harmless = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 8 }),
        fc.integer(),
        fc.dictionary(safeKey, tie('node')),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(safeKey, harmless),
        fc.array(safeKey, { maxLength: 4 }),
        secretKey,
        (data, path, secret) => {
          expect(findSecretFields(data)).toEqual([]);
          const planted: Record<string, unknown> = structuredClone(data);
          let cursor = planted;
          for (const key of path) {
            const next: Record<string, unknown> = {};
            cursor[key] = next;
            cursor = next;
          }
          cursor[secret] = 'value';
          expect(findSecretFields(planted)).toEqual([[...path, secret].join('.')]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tells secret-looking field names from harmless ones', () => {
    for (const name of ['otp', 'verificationCode', 'access_token', 'secretHash', 'password', 'ANSWER']) {
      expect(isSecretFieldName(name)).toBe(true);
    }
    for (const name of [
      'reasonCode',
      'countryCode',
      'statusCode',
      'action',
      'subject',
      'footprint',
      'tokenize'.slice(0, 3),
    ]) {
      expect(isSecretFieldName(name)).toBe(false);
    }
  });
});
