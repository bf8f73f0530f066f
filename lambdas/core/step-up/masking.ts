/**
 * Masked destinations for ChallengeParameters: enough for the user to recognise where the code went, not enough to
 * learn an address they do not already know (the challenge goes to whoever started the sign-in). Star counts are
 * fixed for emails so the mask does not leak the length of the address.
 */

const MASK = '***';

/** `alice@example.com` → `a***@e***.com`; anything that is not a plausible address → `***`. */
export function maskEmail(email: string): string {
  if (typeof email !== 'string') return MASK;
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return MASK;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  if (dot <= 0 || dot === domain.length - 1) return MASK;
  const tld = domain.slice(dot);
  // The TLD is echoed verbatim, so only echo something that looks like one.
  if (!/^\.[A-Za-z0-9-]{1,63}$/.test(tld)) return MASK;
  const [localFirst] = Array.from(local);
  const [domainFirst] = Array.from(domain);
  return `${localFirst}${MASK}@${domainFirst}${MASK}${tld}`;
}

/** Digits shown at the end of a phone number. */
const VISIBLE_PHONE_DIGITS = 4;
/** With fewer digits than this, showing the last four would reveal most of the number. */
const MIN_DIGITS_TO_SHOW_TAIL = 8;

/**
 * `+12223334455` → `+*******4455`: a leading '+' is kept, every digit but the last four becomes '*', and separators
 * are dropped. Short or non-numeric input is fully masked.
 */
export function maskPhone(phone: string): string {
  if (typeof phone !== 'string') return MASK;
  const trimmed = phone.trim();
  const plus = trimmed.startsWith('+') ? '+' : '';
  const digits = trimmed.replace(/[^0-9]/g, '');
  if (digits.length < MIN_DIGITS_TO_SHOW_TAIL) return `${plus}${'*'.repeat(Math.max(digits.length, 3))}`;
  const hidden = digits.length - VISIBLE_PHONE_DIGITS;
  return `${plus}${'*'.repeat(hidden)}${digits.slice(hidden)}`;
}
