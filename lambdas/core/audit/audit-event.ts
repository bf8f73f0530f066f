import { StepgateError } from '../errors';
import { canonicalJson } from './canonical-json';

export const AUDIT_EVENT_KINDS = [
  'decision',
  'step_up.challenge_issued',
  'step_up.verification',
  'grant.issued',
  'grant.redeemed',
  'policy.changed',
  'policy.proposed',
  'policy.approved',
  'policy.rejected',
  'feedback.labelled',
  'feedback.removed',
  'admin.read',
  'shadow.changed',
  'mfa.enrolled',
  'mfa.removed',
] as const;

export type AuditEventKind = (typeof AUDIT_EVENT_KINDS)[number];

export const AUDIT_ACTOR_TYPES = ['app', 'user', 'system', 'cognito'] as const;

export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/**
 * One audit record's content: who (actor), what (kind, action, subject, outcome, reasons, before/after), when
 * (`at`, UTC) and why. Everything in it is hashed into the chain, so it must be plain JSON.
 */
export interface AuditEvent {
  /**
   * Deterministic idempotency key derived from what is being recorded (`decision:<decisionId>`,
   * `challenge:<challengeId>:issued`, ...). A retried write with the same id never becomes a second record.
   */
  readonly eventId: string;
  readonly kind: AuditEventKind;
  readonly actor: { readonly type: AuditActorType; readonly id: string };
  /** Whose data this is about (usually the end user's id); indexed, so auditors can export one person's trail. */
  readonly subject?: string;
  readonly action?: string;
  readonly outcome?: string;
  /** Reason codes only (`geo.new_country`), never free text that might carry personal data. */
  readonly reasons?: readonly string[];
  readonly policyVersion?: number;
  readonly requestId?: string;
  /** UTC ISO-8601 exactly as `Date.prototype.toISOString` writes it, so that strings sort by time. */
  readonly at: string;
  readonly why?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** An event that must not be written: it would hold a secret, or it is malformed. `path` names the field. */
export class AuditRecordRejectedError extends StepgateError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('audit_record_rejected', `${path}: ${message}`);
  }
}

/** Largest canonical event accepted; a DynamoDB item is at most 400 KB and the record carries indexes too. */
export const MAX_AUDIT_EVENT_BYTES = 256 * 1024;
/** Ids and subjects become parts of DynamoDB keys (at most 1 KB for a sort key, 2 KB for a partition key). */
const MAX_KEY_PART = 512;

/** Words that, in a field name, mean the field holds something that must never be stored. */
const SECRET_WORDS = new Set([
  'otp',
  'totp',
  'hotp',
  'token',
  'tokens',
  'jwt',
  'secret',
  'secrets',
  'password',
  'passwords',
  'passwd',
  'passcode',
  'passphrase',
  'answer',
  'answers',
  'pin',
  'credential',
  'credentials',
  'code',
  'codes',
]);
/** `…code` fields that are routinely not secret. Everything else named like a code is refused. */
const HARMLESS_CODE_FIELDS = new Set([
  'reasoncode',
  'reasoncodes',
  'countrycode',
  'errorcode',
  'statuscode',
  'regioncode',
  'postcode',
  'zipcode',
]);
/** A JWT (header.payload.signature, base64url, header starting `{"`): refused wherever it appears as a value. */
const JWT_VALUE = /^eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*$/;

function fieldWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a field name looks like it carries a code, OTP, token, secret, password or challenge answer. */
export function isSecretFieldName(name: string): boolean {
  const words = fieldWords(name);
  if (HARMLESS_CODE_FIELDS.has(words.join(''))) return false;
  // Also catch run-together names (`accesstoken`, `otpcode`, `clientsecret`) that the word split cannot see.
  return words.some((w) => SECRET_WORDS.has(w)) || /token|secret|passw|^otp|otp$|codes?$/.test(words.join(''));
}

/**
 * Paths of every field (at any depth) named like a secret, and of every string value shaped like a JWT.
 * Defence in depth: callers are expected never to put secrets in an event; this catches the mistake before the
 * secret lands in an append-only, long-retained table it can never be deleted from.
 */
export function findSecretFields(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return JWT_VALUE.test(value) ? [path || '(root)'] : [];
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => findSecretFields(item, `${path}[${i}]`));
  const found: string[] = [];
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const itemPath = path ? `${path}.${key}` : key;
    if (isSecretFieldName(key)) found.push(itemPath);
    else found.push(...findSecretFields(item, itemPath));
  }
  return found;
}

function isCanonicalUtc(at: unknown): at is string {
  if (typeof at !== 'string') return false;
  const t = Date.parse(at);
  return Number.isFinite(t) && new Date(t).toISOString() === at;
}

function requireKeyPart(value: unknown, path: string, optional = false): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_PART) {
    throw new AuditRecordRejectedError(`must be a non-empty string of at most ${MAX_KEY_PART} characters`, path);
  }
}

/**
 * Refuses an event that must not become an audit record: a secret-looking field anywhere (including inside
 * before/after/data), a JWT-shaped value, an unknown kind or actor type, a non-UTC or non-canonical `at`, a value
 * that is not plain JSON, or an oversized record. Returns the canonical encoding so the caller need not redo it.
 */
export function guardAuditEvent(event: AuditEvent): string {
  const secrets = findSecretFields(event);
  if (secrets.length > 0) {
    throw new AuditRecordRejectedError('field names or values look like a code, token or secret', secrets.join(', '));
  }
  requireKeyPart(event.eventId, 'eventId');
  if (!(AUDIT_EVENT_KINDS as readonly string[]).includes(event.kind)) {
    throw new AuditRecordRejectedError(`unknown kind "${String(event.kind).slice(0, 50)}"`, 'kind');
  }
  if (!(AUDIT_ACTOR_TYPES as readonly unknown[]).includes(event.actor?.type)) {
    throw new AuditRecordRejectedError(`must be one of ${AUDIT_ACTOR_TYPES.join(', ')}`, 'actor.type');
  }
  requireKeyPart(event.actor.id, 'actor.id');
  requireKeyPart(event.subject, 'subject', true);
  if (!isCanonicalUtc(event.at)) {
    throw new AuditRecordRejectedError(
      'must be UTC ISO-8601 as toISOString() writes it (YYYY-MM-DDTHH:mm:ss.sssZ)',
      'at',
    );
  }
  if (
    event.reasons !== undefined &&
    (!Array.isArray(event.reasons) || event.reasons.some((r) => typeof r !== 'string'))
  ) {
    throw new AuditRecordRejectedError('must be an array of reason codes', 'reasons');
  }
  if (event.policyVersion !== undefined && !Number.isSafeInteger(event.policyVersion)) {
    throw new AuditRecordRejectedError('must be an integer', 'policyVersion');
  }
  const encoded = canonicalJson(event);
  if (Buffer.byteLength(encoded) > MAX_AUDIT_EVENT_BYTES) {
    throw new AuditRecordRejectedError(`record larger than ${MAX_AUDIT_EVENT_BYTES} bytes`, '(root)');
  }
  return encoded;
}
