import { z } from 'zod';

/**
 * The one rule for identifiers that clients choose (user ids, device ids, session ids, request ids, and the same
 * values when they come back as path or query parameters), and the one rule for identifiers stepgate generates
 * (step-up ids, decision ids, shadow run ids). Every route and trigger validates with these, so a value that is
 * accepted when it is written can always be looked up again, and nothing that renders as one identifier can be
 * stored as another.
 *
 * A client-chosen identifier is 1 to 256 UTF-16 code units of Unicode text in normalization form NFC, without:
 * - C0 controls U+0000–U+001F, DEL U+007F and C1 controls U+0080–U+009F (NEL U+0085 included): they split log lines,
 *   terminal output and CSV exports, and no real identifier needs them;
 * - the line and paragraph separators U+2028 and U+2029: line breaks in disguise for log readers, editors and
 *   JavaScript source;
 * - bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): they reorder how
 *   the text around them is displayed, so an auditor would read a different id than the one stored;
 * - lone surrogates (U+D800–U+DFFF not forming a pair): not Unicode text; encoders replace them with U+FFFD, so two
 *   different ids would be stored as the same one.
 * Text that is not in NFC is refused rather than normalized: normalizing silently would hand the app back an id
 * that differs from the one it sent, and refusing means two ids that look alike ("é" precomposed and "e" + U+0301)
 * can never both exist. Everything else is accepted as is, including spaces, emoji and joiners that some scripts
 * need (U+200C, U+200D).
 */

export const IDENTIFIER_MAX_LENGTH = 256;

/** Ids stepgate generates (UUIDs and test fixtures alike): a letter or digit, then letters, digits and `_ . : -`. */
export const GENERATED_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LINE_SEPARATOR = /[\u2028\u2029]/;
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// With the `u` flag a surrogate range matches only surrogates that are not part of a pair.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function at(value: string, pattern: RegExp): string {
  const match = pattern.exec(value);
  if (!match) return '';
  const code = match[0].codePointAt(0) ?? 0;
  return ` (U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${match.index})`;
}

/** What is wrong with `value` as a client-chosen identifier, in words fit for a 400 answer; undefined when valid. */
export function identifierProblem(value: string, maxLength = IDENTIFIER_MAX_LENGTH): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL.test(value)) return `must not contain control characters${at(value, CONTROL)}`;
  if (LINE_SEPARATOR.test(value)) return `must not contain line or paragraph separators${at(value, LINE_SEPARATOR)}`;
  if (BIDI_CONTROL.test(value)) return `must not contain bidirectional formatting characters${at(value, BIDI_CONTROL)}`;
  if (LONE_SURROGATE.test(value)) return `must be valid Unicode text: lone surrogate${at(value, LONE_SURROGATE)}`;
  if (value.normalize('NFC') !== value) return 'must be in Unicode normalization form NFC';
  return undefined;
}

export function isIdentifier(value: unknown, maxLength = IDENTIFIER_MAX_LENGTH): value is string {
  return typeof value === 'string' && identifierProblem(value, maxLength) === undefined;
}

/** zod schema of a client-chosen identifier; the issue's message says what is wrong. */
export function identifierSchema(maxLength = IDENTIFIER_MAX_LENGTH) {
  return z.string().superRefine((value, ctx) => {
    const problem = identifierProblem(value, maxLength);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

export function isGeneratedId(value: unknown): value is string {
  return typeof value === 'string' && GENERATED_ID_PATTERN.test(value);
}

/** zod schema of an id stepgate generated (step-up, decision, shadow run). */
export function generatedIdSchema(what: string) {
  return z.string().regex(GENERATED_ID_PATTERN, `not a ${what} id`);
}
