import fc from 'fast-check';
import { CanonicalEncodingError, canonicalJson } from '../../../lambdas/core/audit/canonical-json';

describe('canonicalJson', () => {
  it('sorts keys recursively, writes no whitespace and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null, true], c: undefined }, '': false })).toBe(
      '{"":false,"a":{"d":[1,"x",null,true]},"b":1}',
    );
  });

  it('matches the RFC 8785 (JCS) example for the values it accepts', () => {
    const value = JSON.parse(
      '{"numbers":[333333333.33333329,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    ) as unknown;
    expect(canonicalJson(value)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts by UTF-16 code units, as JCS does', () => {
    expect(canonicalJson({ '\u00e9': 1, z: 2, Z: 3, '\ud83d\ude00': 4 })).toBe('{"Z":3,"z":2,"é":1,"😀":4}');
  });

  it('writes -0 as 0', () => {
    expect(canonicalJson({ n: -0 })).toBe('{"n":0}');
  });

  it.each([
    ['NaN', { n: Number.NaN }, 'n'],
    ['Infinity', { a: [Number.POSITIVE_INFINITY] }, 'a[0]'],
    ['an unsafe integer', { big: 2 ** 60 }, 'big'],
    ['a Date', { at: new Date(0) }, 'at'],
    ['a Map', { m: new Map() }, 'm'],
    ['a BigInt', { b: BigInt(1) }, 'b'],
    ['a function', { f: () => 1 }, 'f'],
    ['undefined in an array', { list: [1, undefined] }, 'list[1]'],
    ['a symbol', { s: Symbol('x') }, 's'],
  ])('refuses %s and names where it is', (_name, value, path) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalEncodingError);
    try {
      canonicalJson(value);
    } catch (error) {
      expect((error as CanonicalEncodingError).path).toBe(path);
    }
  });

  it('is stable under key order and round-trips through JSON.parse (property)', () => {
    const unsafeInteger = (v: unknown): boolean =>
      typeof v === 'number'
        ? Number.isInteger(v) && !Number.isSafeInteger(v)
        : v !== null && typeof v === 'object' && Object.values(v).some(unsafeInteger);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        fc.pre(!unsafeInteger(value));
        const encoded = canonicalJson(value);
        expect(canonicalJson(JSON.parse(encoded))).toBe(encoded);
        const reordered = JSON.parse(
          JSON.stringify(value, (_k, v: unknown) =>
            v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
          ),
        ) as unknown;
        expect(canonicalJson(reordered)).toBe(encoded);
        expect(JSON.parse(encoded)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});
