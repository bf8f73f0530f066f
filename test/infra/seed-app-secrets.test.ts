import { newKeyValue, withMissingKeys } from '../../lib/handlers/seed-app-secrets';

const KEYS = ['decisionTokenKey', 'otpPepper', 'pseudonymKey'];

describe('application secret seeding', () => {
  it('adds every missing key to the generated secret', () => {
    let n = 0;
    const next = withMissingKeys('{"decisionTokenKey":"abc"}', KEYS, () => `v${++n}`);
    expect(JSON.parse(next!)).toEqual({ decisionTokenKey: 'abc', otpPepper: 'v1', pseudonymKey: 'v2' });
  });

  it('never changes a key that is set (a redeploy must not void tokens or codes)', () => {
    const current = JSON.stringify({ decisionTokenKey: 'a', otpPepper: 'b', pseudonymKey: 'c', extra: 1 });
    expect(withMissingKeys(current, KEYS)).toBeUndefined();
  });

  it('fills empty values and an empty secret', () => {
    expect(Object.keys(JSON.parse(withMissingKeys('', KEYS)!) as object).sort()).toEqual([...KEYS].sort());
    expect(JSON.parse(withMissingKeys('{"otpPepper":""}', KEYS, () => 'x')!)).toMatchObject({ otpPepper: 'x' });
  });

  it('refuses to overwrite a secret that is not a JSON object, without echoing it', () => {
    expect(() => withMissingKeys('hunter2', KEYS)).toThrow(/not JSON/);
    expect(() => withMissingKeys('hunter2', KEYS)).not.toThrow(/hunter2/);
    expect(() => withMissingKeys('[1]', KEYS)).toThrow(/not a JSON object/);
  });

  it('generates 256-bit base64url values', () => {
    const v = newKeyValue();
    expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(v, 'base64url')).toHaveLength(32);
    expect(newKeyValue()).not.toBe(v);
  });
});
