import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import vectors from '../../fixtures/otp-vectors.json';
import {
  base32Decode,
  base32Encode,
  generateTotp,
  generateTotpSecret,
  totpTimeStep,
  totpUri,
  verifyTotp,
  type TotpAlgorithm,
} from '../../../lambdas/core/step-up/totp';
import { StepUpInternalError } from '../../../lambdas/core/step-up/step-up-errors';

type Mode = keyof typeof vectors.rfc6238_totp.secrets;

/** Independent RFC 4226/6238 reference, straight from the RFC text, to cross-check otplib's use. */
function referenceTotp(key: Buffer, timeStep: number, digits: number, algorithm: TotpAlgorithm): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(timeStep));
  const mac = createHmac(algorithm.toLowerCase(), key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0xf;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

describe('fixtures', () => {
  it('name their source', () => {
    expect(vectors._source).toMatch(/RFC 4226/);
    expect(vectors._source).toMatch(/RFC 6238/);
    expect(vectors.rfc6238_totp.vectors).toHaveLength(18);
    expect(vectors.rfc4226_hotp.vectors).toHaveLength(10);
  });
});

describe('base32', () => {
  it.each(Object.entries(vectors.rfc6238_totp.secrets))('round-trips the %s seed', (_mode, secret) => {
    const decoded = base32Decode(secret.base32);
    expect(decoded).toBeDefined();
    expect(Buffer.from(decoded!).toString('hex')).toBe(secret.hex);
    expect(Buffer.from(decoded!).toString('ascii')).toBe(secret.ascii);
    expect(base32Encode(Buffer.from(secret.hex, 'hex'))).toBe(secret.base32.replace(/=+$/, ''));
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (bytes) => {
        expect(Buffer.from(base32Decode(base32Encode(bytes))!)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('accepts lower case and grouped secrets, rejects other characters', () => {
    expect(base32Decode('gezd gnbv gy3t qojq')).toEqual(base32Decode('GEZDGNBVGY3TQOJQ'));
    expect(base32Decode('GEZDGNBV1')).toBeUndefined();
    expect(base32Decode('')).toBeUndefined();
    expect(base32Decode('GEZDGNBV!')).toBeUndefined();
  });
});

describe('RFC 6238 Appendix B vectors (all modes, 8 digits)', () => {
  const cases = vectors.rfc6238_totp.vectors.map((v) => [v.mode, v.time_sec, v.totp, v] as const);

  it.each(cases)('%s at T=%p is %s', (mode, timeSec, totp, v) => {
    const secret = vectors.rfc6238_totp.secrets[mode as Mode].base32;
    const now = timeSec * 1000;
    const opts = { digits: v.digits, algorithm: mode as TotpAlgorithm, stepSeconds: v.step };
    expect(generateTotp(secret, now, opts)).toBe(totp);
    expect(verifyTotp(secret, totp, now, { ...opts, window: 0 })).toEqual({
      ok: true,
      timeStep: Math.floor(timeSec / v.step),
    });
    expect(
      referenceTotp(
        Buffer.from(vectors.rfc6238_totp.secrets[mode as Mode].hex, 'hex'),
        totpTimeStep(now),
        8,
        mode as TotpAlgorithm,
      ),
    ).toBe(totp);
  });

  it('rejects each vector under a different algorithm', () => {
    for (const v of vectors.rfc6238_totp.vectors) {
      const secret = vectors.rfc6238_totp.secrets[v.mode as Mode].base32;
      const other: TotpAlgorithm = v.mode === 'SHA1' ? 'SHA256' : 'SHA1';
      expect(verifyTotp(secret, v.totp, v.time_sec * 1000, { digits: 8, algorithm: other, window: 0 }).ok).toBe(false);
    }
  });
});

describe('RFC 4226 Appendix D HOTP vectors (as TOTP steps 0..9)', () => {
  it.each(vectors.rfc4226_hotp.vectors.map((v) => [v.count, v.hotp] as const))('count %p is %s', (count, hotp) => {
    const now = count * 30_000 + 29_999;
    expect(generateTotp(vectors.rfc4226_hotp.secret_base32, now)).toBe(hotp);
    expect(verifyTotp(vectors.rfc4226_hotp.secret_base32, hotp, now, { window: 0 })).toEqual({
      ok: true,
      timeStep: count,
    });
  });
});

describe('verifyTotp', () => {
  const secret = vectors.rfc4226_hotp.secret_base32;
  // Step 5's code is 254676 (RFC 4226 count 5).
  const stepFive = 5 * 30_000;

  it('accepts ±1 step by default and reports the matched step', () => {
    expect(verifyTotp(secret, '254676', stepFive + 10_000)).toEqual({ ok: true, timeStep: 5 });
    expect(verifyTotp(secret, '254676', stepFive + 30_000)).toEqual({ ok: true, timeStep: 5 });
    expect(verifyTotp(secret, '254676', stepFive - 30_000)).toEqual({ ok: true, timeStep: 5 });
    expect(verifyTotp(secret, '254676', stepFive + 60_000)).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive + 60_000, { window: 2 })).toEqual({ ok: true, timeStep: 5 });
    expect(verifyTotp(secret, '254676', stepFive + 30_000, { window: 0 })).toEqual({ ok: false });
  });

  it('refuses replay of the last accepted step, and older steps', () => {
    expect(verifyTotp(secret, '254676', stepFive, { lastUsedTimeStep: 4 })).toEqual({ ok: true, timeStep: 5 });
    expect(verifyTotp(secret, '254676', stepFive, { lastUsedTimeStep: 5 })).toEqual({ ok: false });
    expect(verifyTotp(secret, '338314', stepFive, { lastUsedTimeStep: 5 })).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive, { lastUsedTimeStep: Number.NaN })).toEqual({ ok: false });
  });

  it('rejects malformed codes, secrets and options without throwing', () => {
    for (const code of ['', '25467', '2546766', '25467a', ' 254676', '２５４６７６']) {
      expect(verifyTotp(secret, code, stepFive)).toEqual({ ok: false });
    }
    expect(verifyTotp('not base32!', '254676', stepFive)).toEqual({ ok: false });
    expect(verifyTotp('', '254676', stepFive)).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive, { window: 3 })).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive, { window: -1 })).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive, { digits: 5 })).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', stepFive, { algorithm: 'MD5' as TotpAlgorithm })).toEqual({ ok: false });
    expect(verifyTotp(secret, '254676', Number.NaN)).toEqual({ ok: false });
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (s, c) => {
        expect(() => verifyTotp(s as string, c as string, stepFive)).not.toThrow();
      }),
    );
  });

  it('does not read the clock: the result depends only on `now`', () => {
    const spy = jest.spyOn(Date, 'now').mockReturnValue(9_999_999_999_999);
    try {
      expect(verifyTotp(secret, '254676', stepFive)).toEqual({ ok: true, timeStep: 5 });
      expect(generateTotp(secret, stepFive)).toBe('254676');
    } finally {
      spy.mockRestore();
    }
  });

  it('agrees with the RFC reference for random secrets, times and algorithms (no key padding)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 64 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.constantFrom<TotpAlgorithm>('SHA1', 'SHA256', 'SHA512'),
        fc.constantFrom(6, 8),
        (key, seconds, algorithm, digits) => {
          const now = seconds * 1000;
          const code = referenceTotp(Buffer.from(key), Math.floor(seconds / 30), digits, algorithm);
          expect(verifyTotp(base32Encode(key), code, now, { algorithm, digits, window: 0 })).toEqual({
            ok: true,
            timeStep: Math.floor(seconds / 30),
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('throws a typed error when asked to generate from a bad secret', () => {
    expect(() => generateTotp('!!', 0)).toThrow(StepUpInternalError);
  });
});

describe('generateTotpSecret / totpUri', () => {
  it('uses the injected source, 20 bytes by default, never fewer than 16', () => {
    const sizes: number[] = [];
    const source = (n: number) => {
      sizes.push(n);
      return new Uint8Array(n).fill(0xff);
    };
    const secret = generateTotpSecret(source);
    expect(base32Decode(secret)).toHaveLength(20);
    generateTotpSecret(source, 4);
    generateTotpSecret(source, 32);
    expect(sizes).toEqual([20, 16, 32]);
    expect(generateTotpSecret(randomBytes)).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('refuses a source that returns the wrong length', () => {
    expect(() => generateTotpSecret(() => new Uint8Array(3))).toThrow(StepUpInternalError);
  });

  it('builds an otpauth URI with issuer, account and parameters encoded', () => {
    const uri = totpUri('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'alice@example.com', 'Stepgate Local');
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(uri.startsWith('otpauth://totp/Stepgate%20Local:alice%40example.com?')).toBe(true);
    expect(url.searchParams.get('secret')).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(url.searchParams.get('issuer')).toBe('Stepgate Local');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });
});
