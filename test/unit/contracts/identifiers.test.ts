import fc from 'fast-check';
import {
  generatedIdSchema,
  identifierProblem,
  identifierSchema,
  isGeneratedId,
  isIdentifier,
} from '../../../lambdas/contracts/identifiers';

/** The refused code points, written out independently of the implementation's patterns. */
function refusedCodePoint(cp: number): boolean {
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    (cp >= 0xd800 && cp <= 0xdfff)
  );
}

/** One code point between two letters: NFC-stable whenever the code point itself is (letters do not compose). */
const between = (cp: number) => `a${String.fromCodePoint(cp)}z`;
const nfcStable = (s: string) => s.normalize('NFC') === s;

describe('client-chosen identifiers', () => {
  it('refuses C0, DEL and C1 controls, line separators, bidi controls and lone surrogates; accepts the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x10ffff }), (cp) => {
        const value = between(cp);
        const expected = !refusedCodePoint(cp) && nfcStable(value);
        expect({ cp: cp.toString(16), ok: isIdentifier(value) }).toEqual({ cp: cp.toString(16), ok: expected });
      }),
      { numRuns: 20_000 },
    );
  });

  it('checks every code point of the Basic Multilingual Plane up to U+3000 exhaustively', () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x3000; cp++) {
      const value = between(cp);
      if (isIdentifier(value) !== (!refusedCodePoint(cp) && nfcStable(value))) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
  });

  it.each([
    ['a\u0085b', 'control characters (U+0085 at position 1)'],
    ['a\u0000', 'control characters (U+0000 at position 1)'],
    ['\u009fx', 'control characters (U+009F at position 0)'],
    ['x\u2028y', 'line or paragraph separators (U+2028'],
    ['x\u2029y', 'line or paragraph separators (U+2029'],
    ['admin\u202egnp.exe', 'bidirectional formatting characters (U+202E'],
    ['a\u2066b\u2069', 'bidirectional formatting characters (U+2066'],
    ['\u200fabc', 'bidirectional formatting characters (U+200F'],
    ['a\ud800b', 'lone surrogate (U+D800'],
    ['a\udc00', 'lone surrogate (U+DC00'],
    ['e\u0301', 'normalization form NFC'],
    ['\u212b', 'normalization form NFC'], // ANGSTROM SIGN, which NFC maps to Å
    ['', 'must not be empty'],
    ['x'.repeat(257), 'at most 256'],
  ])('says what is wrong with %j', (value, message) => {
    expect(identifierProblem(value)).toContain(message);
  });

  it.each([
    'alice@example.com',
    'café', // precomposed: NFC
    'user 42',
    '山田太郎',
    'عبد الله',
    '😀-device',
    'a\u200db', // zero width joiner: some scripts and emoji need it
    'x'.repeat(256),
  ])('accepts %j', (value) => {
    expect(identifierProblem(value)).toBeUndefined();
  });

  it('refuses any string holding a refused code point anywhere, whatever surrounds it', () => {
    const refused = fc.oneof(
      fc.integer({ min: 0, max: 0x1f }),
      fc.integer({ min: 0x7f, max: 0x9f }),
      fc.constantFrom(0x2028, 0x2029, 0x061c, 0x200e, 0x200f),
      fc.integer({ min: 0x202a, max: 0x202e }),
      fc.integer({ min: 0x2066, max: 0x2069 }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    );
    // Well-formed text around it: a refused surrogate can then never pair up with a neighbour.
    const text = fc.string({ unit: 'grapheme', maxLength: 20 });
    fc.assert(
      fc.property(text, refused, text, (before, cp, after) => {
        expect(isIdentifier(`${before}${String.fromCharCode(cp)}${after}`)).toBe(false);
      }),
    );
  });

  it('is one zod schema whose issue carries the message', () => {
    const result = identifierSchema().safeParse('a\u0085b');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('U+0085');
    expect(identifierSchema(128).safeParse('x'.repeat(129)).success).toBe(false);
    expect(identifierSchema().safeParse(42).success).toBe(false);
  });
});

describe('generated identifiers', () => {
  it('accepts the ids stepgate makes and nothing that could smuggle text', () => {
    expect(isGeneratedId('3f0e8e3c-1b7a-4a53-9f6c-0d3b2b8e9a10')).toBe(true);
    expect(isGeneratedId('su-1')).toBe(true);
    for (const bad of ['', '-x', 'a b', 'a\u0085', 'a/b', 'x'.repeat(129), 'é']) expect(isGeneratedId(bad)).toBe(false);
    expect(generatedIdSchema('step-up').safeParse('a b').error?.issues[0]?.message).toBe('not a step-up id');
  });
});
