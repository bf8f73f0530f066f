import fc from 'fast-check';
import { CLIENT_METADATA_LIMITS, parseClientMetadata } from '../../../lambdas/core/step-up/client-metadata';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('parseClientMetadata', () => {
  it('reads a signed-in step-up', () => {
    expect(parseClientMetadata({ stepUpId: 'su-01', accessToken: JWT, method: 'email_otp' })).toEqual({
      ok: true,
      value: { kind: 'step_up', stepUpId: 'su-01', accessToken: JWT, method: 'email_otp' },
    });
  });

  it('reads a sign-in, with or without the step-up id', () => {
    expect(parseClientMetadata({ decisionToken: JWT, method: 'totp' })).toEqual({
      ok: true,
      value: { kind: 'sign_in', decisionToken: JWT, method: 'totp' },
    });
    expect(
      parseClientMetadata({ decisionToken: JWT, method: 'sms_otp', stepUpId: '0b3a7c1e-9f1d-4c1a-8b1e-2f0d7c6a5b4e' }),
    ).toEqual({
      ok: true,
      value: {
        kind: 'sign_in',
        decisionToken: JWT,
        method: 'sms_otp',
        stepUpId: '0b3a7c1e-9f1d-4c1a-8b1e-2f0d7c6a5b4e',
      },
    });
  });

  it('ignores unknown keys, whatever they hold', () => {
    const result = parseClientMetadata({
      decisionToken: JWT,
      method: 'email_otp',
      exampleMetadataKey: 'example metadata value',
      huge: 'x'.repeat(100_000),
      nested: { a: 1 },
      ['__proto__']: 'polluted',
    });
    expect(result).toEqual({ ok: true, value: { kind: 'sign_in', decisionToken: JWT, method: 'email_otp' } });
  });

  it('treats blank values as absent', () => {
    expect(parseClientMetadata({ decisionToken: JWT, accessToken: '', stepUpId: '', method: 'totp' })).toEqual({
      ok: true,
      value: { kind: 'sign_in', decisionToken: JWT, method: 'totp' },
    });
  });

  it.each<[string, unknown, string]>([
    ['no object', undefined, 'missing'],
    ['null', null, 'missing'],
    ['a string', 'stepUpId=1', 'missing'],
    ['an array', [JWT], 'missing'],
    ['no method', { decisionToken: JWT }, 'invalid_method'],
    ['unknown method', { decisionToken: JWT, method: 'push' }, 'invalid_method'],
    ['method in other case', { decisionToken: JWT, method: 'EMAIL_OTP' }, 'invalid_method'],
    ['no credential', { stepUpId: 'su-01', method: 'totp' }, 'missing_credential'],
    [
      'both credentials',
      { accessToken: JWT, decisionToken: JWT, stepUpId: 'su', method: 'totp' },
      'ambiguous_credential',
    ],
    ['access token without step-up id', { accessToken: JWT, method: 'totp' }, 'missing_step_up_id'],
    ['a token that is not a JWT', { decisionToken: 'hello', method: 'totp' }, 'invalid_decision_token'],
    ['a number for a token', { accessToken: 42, stepUpId: 'su', method: 'totp' }, 'invalid_access_token'],
    [
      'an oversized access token',
      { accessToken: `${JWT}${'a'.repeat(CLIENT_METADATA_LIMITS.accessTokenLength)}`, stepUpId: 'su', method: 'totp' },
      'invalid_access_token',
    ],
    [
      'an oversized decision token',
      { decisionToken: `${JWT}${'a'.repeat(CLIENT_METADATA_LIMITS.decisionTokenLength)}`, method: 'totp' },
      'invalid_decision_token',
    ],
    [
      'an oversized step-up id',
      { decisionToken: JWT, stepUpId: 'a'.repeat(129), method: 'totp' },
      'invalid_step_up_id',
    ],
    [
      'a step-up id with odd characters',
      { decisionToken: JWT, stepUpId: 'su/../x', method: 'totp' },
      'invalid_step_up_id',
    ],
    [
      'a step-up id that is an object',
      { decisionToken: JWT, stepUpId: { $ne: null }, method: 'totp' },
      'invalid_step_up_id',
    ],
  ])('rejects %s', (_label, input, reason) => {
    expect(parseClientMetadata(input)).toEqual({ ok: false, reason });
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        const result = parseClientMetadata(input);
        expect(typeof result.ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('stepUpId', 'accessToken', 'decisionToken', 'method', 'x'), fc.anything()),
        (input) => {
          expect(() => parseClientMetadata(input)).not.toThrow();
        },
      ),
    );
  });
});
