import { randomBytes } from 'node:crypto';
import { HmacPseudonymizer, pseudonymizerFrom } from '../../../lambdas/adapters/hmac-pseudonymizer';
import { EphemeralAppSecrets } from '../../../lambdas/adapters/secrets-manager-app-secrets';
import { isPseudonym } from '../../../lambdas/core/risk/pseudonyms';

describe('HmacPseudonymizer', () => {
  const p = new HmacPseudonymizer('k'.repeat(32));

  it('gives a stable, tagged pseudonym that does not contain the value', () => {
    const ip = p.pseudonym('ip', '203.0.113.7');
    expect(ip).toMatch(/^h\.ip\.[\w-]{22}$/);
    expect(isPseudonym(ip)).toBe(true);
    expect(p.pseudonym('ip', '203.0.113.7')).toBe(ip);
    expect(new HmacPseudonymizer('k'.repeat(32)).pseudonym('ip', '203.0.113.7')).toBe(ip);
    expect(ip).not.toContain('203');
    expect(p.pseudonym('ip', '203.0.113.8')).not.toBe(ip);
    expect(p.pseudonym('network', '203.0.113.0/24')).toMatch(/^h\.net\./);
    expect(p.pseudonym('device', 'd-1')).toMatch(/^h\.dev\./);
    expect(p.pseudonym('user-agent', 'ua-key')).toMatch(/^h\.ua\./);
  });

  it('depends on the key: without it a pseudonym cannot be recomputed from a guessed value', () => {
    expect(new HmacPseudonymizer('j'.repeat(32)).pseudonym('ip', '203.0.113.7')).not.toBe(
      p.pseudonym('ip', '203.0.113.7'),
    );
  });

  it('separates kinds: the same text gives unrelated pseudonyms as an IP and as a device id', () => {
    const body = (s: string) => s.split('.').at(-1);
    const text = '203.0.113.7';
    const bodies = [p.pseudonym('ip', text), p.pseudonym('device', text), p.pseudonym('network', text)].map(body);
    expect(new Set(bodies).size).toBe(3);
  });

  it('keys the request-body digest apart from the pseudonyms', () => {
    expect(p.bodyDigest('{"a":1}')).toBe(p.bodyDigest('{"a":1}'));
    expect(p.bodyDigest('{"a":1}')).not.toBe(new HmacPseudonymizer('j'.repeat(32)).bodyDigest('{"a":1}'));
    expect(p.bodyDigest('x')).not.toContain(p.pseudonym('ip', 'x').split('.').at(-1));
  });

  it('refuses a short key', () => {
    expect(() => new HmacPseudonymizer('salt')).toThrow(/shorter than 16/);
  });

  it('builds one pseudonymizer per application secret', async () => {
    const source = pseudonymizerFrom(new EphemeralAppSecrets((n) => randomBytes(n)));
    expect(await source()).toBe(await source());
  });
});
