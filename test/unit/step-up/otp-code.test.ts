import { createHmac, randomInt } from 'node:crypto';
import type * as NodeCrypto from 'node:crypto';
import fc from 'fast-check';
import {
  MAX_CODE_DIGITS,
  MIN_CODE_DIGITS,
  codesMatch,
  generateCode,
  hashCode,
  isWellFormedCode,
  type RandomInt,
} from '../../../lambdas/core/step-up/otp-code';
import type * as OtpCodeModule from '../../../lambdas/core/step-up/otp-code';
import { StepUpInternalError } from '../../../lambdas/core/step-up/step-up-errors';

const PEPPER = 'unit-test-pepper-0123456789abcdef';
const cryptoRandomInt: RandomInt = (max) => randomInt(max);

describe('generateCode', () => {
  it('draws every digit with randomInt(10), never randomInt(9)', () => {
    const calls: number[] = [];
    const spy: RandomInt = (max) => {
      calls.push(max);
      return 0;
    };
    generateCode(spy);
    expect(calls).toEqual([10, 10, 10, 10, 10, 10]);
  });

  it('can produce the digit 9 (an off-by-one source would cap at 8)', () => {
    // A source that always returns its largest allowed value: with randomInt(9) this would be "888888".
    expect(generateCode((max) => max - 1)).toBe('999999');
    expect(generateCode(() => 0)).toBe('000000');
  });

  it('is uniform over 100k crypto.randomInt draws (chi-square, 9 dof)', () => {
    const counts = new Array<number>(10).fill(0);
    const codes = 10_000;
    for (let i = 0; i < codes; i += 1) {
      for (const ch of generateCode(cryptoRandomInt, 10)) counts[Number(ch)]! += 1;
    }
    const total = codes * 10;
    const expected = total / 10;
    const chiSquare = counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    expect(counts[9]).toBeGreaterThan(0);
    // Critical value for p = 1e-4 at 9 degrees of freedom: a correct generator fails this once in 10,000 runs;
    // randomInt(9) (digit 9 never drawn) scores about 11,000.
    expect(chiSquare).toBeLessThan(33.72);
  });

  it('the chi-square check above rejects a generator that never yields 9', () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i += 1) counts[randomInt(9)]! += 1;
    const expected = 10_000;
    const chiSquare = counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeGreaterThan(33.72);
  });

  it('is never shorter than 6 or longer than 10 digits', () => {
    for (const digits of [-1, 0, 4, 5, 6, 8, 10, 11, 100, Number.NaN, 6.5]) {
      const code = generateCode(cryptoRandomInt, digits);
      expect(code.length).toBeGreaterThanOrEqual(MIN_CODE_DIGITS);
      expect(code.length).toBeLessThanOrEqual(MAX_CODE_DIGITS);
      expect(code).toMatch(/^[0-9]+$/);
    }
    expect(generateCode(cryptoRandomInt)).toHaveLength(6);
    expect(generateCode(cryptoRandomInt, 8)).toHaveLength(8);
    expect(generateCode(cryptoRandomInt, 4)).toHaveLength(6);
  });

  it.each([10, -1, 2.5, Number.NaN])('refuses a broken random source returning %p', (bad) => {
    expect(() => generateCode(() => bad)).toThrow(StepUpInternalError);
  });
});

describe('hashCode / codesMatch', () => {
  it('is HMAC-SHA256(pepper, challengeId:code) in hex', () => {
    const hash = hashCode('123456', 'ch-1', PEPPER);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHmac('sha256', PEPPER).update('ch-1:123456').digest('hex'));
  });

  it('matches the right code for the right challenge', () => {
    const hash = hashCode('042817', 'ch-1', PEPPER);
    expect(codesMatch(hash, '042817', 'ch-1', PEPPER)).toBe(true);
    expect(codesMatch(hash, '042818', 'ch-1', PEPPER)).toBe(false);
  });

  it('binds the hash to its challenge: the same code for another challenge never matches', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{6}$/),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        (code, a, b) => {
          fc.pre(a !== b);
          expect(codesMatch(hashCode(code, a, PEPPER), code, b, PEPPER)).toBe(false);
        },
      ),
    );
  });

  it('depends on the pepper', () => {
    const hash = hashCode('123456', 'ch-1', PEPPER);
    expect(codesMatch(hash, '123456', 'ch-1', `${PEPPER}x`)).toBe(false);
  });

  it.each([
    ['too short', '12345'],
    ['too long', '12345678901'],
    ['letters', '12a456'],
    ['spaces', '123 456'],
    ['leading space', ' 123456'],
    ['unicode digits', '١٢٣٤٥٦'],
    ['empty', ''],
    ['sign', '-12345'],
  ])('rejects a malformed code (%s) without throwing', (_label, code) => {
    const hash = hashCode('123456', 'ch-1', PEPPER);
    expect(codesMatch(hash, code, 'ch-1', PEPPER)).toBe(false);
  });

  it('never throws on junk of any type', () => {
    const hash = hashCode('123456', 'ch-1', PEPPER);
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (h, c, id, p) => {
        expect(codesMatch(h as string, c as string, id as string, p as string)).toBe(false);
        expect(codesMatch(hash, c as string, 'ch-1', PEPPER)).toBe(false);
      }),
    );
  });

  it('treats a corrupt stored hash as no match', () => {
    const hash = hashCode('123456', 'ch-1', PEPPER);
    expect(codesMatch(hash.slice(0, 62), '123456', 'ch-1', PEPPER)).toBe(false);
    expect(codesMatch(`${hash}00`, '123456', 'ch-1', PEPPER)).toBe(false);
    expect(codesMatch(hash.toUpperCase(), '123456', 'ch-1', PEPPER)).toBe(false);
    expect(codesMatch('', '123456', 'ch-1', PEPPER)).toBe(false);
  });

  it('a code of the wrong length never matches a shorter or longer code hash', () => {
    const hash = hashCode('1234567', 'ch-1', PEPPER);
    expect(codesMatch(hash, '123456', 'ch-1', PEPPER)).toBe(false);
    expect(codesMatch(hash, '12345678', 'ch-1', PEPPER)).toBe(false);
    expect(codesMatch(hash, '1234567', 'ch-1', PEPPER)).toBe(true);
  });

  it('refuses to hash with a missing or short pepper, and codesMatch then reports no match', () => {
    expect(() => hashCode('123456', 'ch-1', '')).toThrow(StepUpInternalError);
    expect(() => hashCode('123456', 'ch-1', 'short')).toThrow(StepUpInternalError);
    expect(() => hashCode('12x456', 'ch-1', PEPPER)).toThrow(StepUpInternalError);
    const hash = hashCode('123456', 'ch-1', PEPPER);
    expect(codesMatch(hash, '123456', 'ch-1', '')).toBe(false);
  });

  it('compares with crypto.timingSafeEqual', () => {
    jest.isolateModules(() => {
      const timingSafeEqual = jest.fn(() => true);
      jest.doMock('node:crypto', () => ({ ...jest.requireActual<typeof NodeCrypto>('node:crypto'), timingSafeEqual }));
      const mod = jest.requireActual<typeof OtpCodeModule>('../../../lambdas/core/step-up/otp-code');
      const hash = mod.hashCode('123456', 'ch-1', PEPPER);
      expect(mod.codesMatch(hash, '654321', 'ch-1', PEPPER)).toBe(true);
      expect(timingSafeEqual).toHaveBeenCalledTimes(1);
      const [a, b] = timingSafeEqual.mock.calls[0] as unknown as [Buffer, Buffer];
      expect(a.length).toBe(32);
      expect(b.length).toBe(32);
    });
    jest.dontMock('node:crypto');
  });

  it('isWellFormedCode accepts 6 to 10 ASCII digits only', () => {
    expect(isWellFormedCode('000000')).toBe(true);
    expect(isWellFormedCode('0123456789')).toBe(true);
    expect(isWellFormedCode('01234567890')).toBe(false);
    expect(isWellFormedCode(123456)).toBe(false);
  });
});
