import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Item layout of the audit table, shared by the writer (dynamodb-audit-log.ts) and the reader
 * (dynamodb-audit-reader.ts). See the doc comment of dynamodb-audit-log.ts for what each item is for.
 */
export const CHAIN_PREFIX = 'CHAIN#';
export const SEQ_PREFIX = 'SEQ#';
export const HEAD_SK = 'HEAD';
export const CHAINS_PK = 'CHAINS';
export const EVENT_SK = 'EVENT';
export const EVENT_PREFIX = 'EVENT#';
export const SEQ_DIGITS = 12;

/** Values of the `type` attribute, so an item read back (or returned in a cancellation reason) says what it is. */
export const ITEM_TYPE = {
  record: 'audit.record',
  head: 'audit.head',
  event: 'audit.event',
  chain: 'audit.chain',
} as const;

export const chainPk = (chainId: string) => `${CHAIN_PREFIX}${chainId}`;
export const seqSk = (seq: number) => `${SEQ_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const eventPk = (eventId: string) => `${EVENT_PREFIX}${eventId}`;
export const dayPk = (at: string) => `DAY#${at.slice(0, 10)}`;
export const subjectPk = (subject: string) => `SUBJECT#${subject}`;
/** Sort key of both indexes: time first, then chain and sequence so records at the same instant stay distinct. */
export const timeSk = (at: string, chainId: string, seq: number) =>
  `${at}#${chainId}#${seqSk(seq).slice(SEQ_PREFIX.length)}`;

/** The index attributes of a record: all derived from its hashed content (event `at` and `subject`, chain, seq). */
export interface RecordIndexAttributes {
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly gsi2pk?: string;
  readonly gsi2sk?: string;
}

export const INDEX_ATTRIBUTES = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'] as const;

/** What a record's index attributes must be, from what is hashed: the writer stores these and verify checks them. */
export function indexAttributesOf(chainId: string, seq: number, at: string, subject: string | undefined) {
  const sk = timeSk(at, chainId, seq);
  return {
    gsi1pk: dayPk(at),
    gsi1sk: sk,
    ...(subject !== undefined ? { gsi2pk: subjectPk(subject), gsi2sk: sk } : {}),
  } satisfies RecordIndexAttributes;
}

/**
 * Whether a stored record's index attributes are exactly those its content implies (absent ones included), so
 * it can be neither moved out of a day or subject export nor into another. `item` holds plain values.
 */
export function indexedAsContent(item: Readonly<Record<string, unknown>>): boolean {
  const { chainId, seq, event } = item;
  if (typeof chainId !== 'string' || typeof seq !== 'number' || typeof event !== 'object' || event === null) {
    return false;
  }
  const { at, subject } = event as { at?: unknown; subject?: unknown };
  if (typeof at !== 'string' || (subject !== undefined && typeof subject !== 'string')) return false;
  const expected: Record<string, string | undefined> = indexAttributesOf(chainId, seq, at, subject);
  return INDEX_ATTRIBUTES.every((name) => item[name] === expected[name]);
}

/** The sequence number of a record's sort key, or undefined if the key is not exactly `SEQ#` + 12 digits (≥ 1). */
export function parseSeqSk(sk: string): number | undefined {
  const match = new RegExp(`^${SEQ_PREFIX}(\\d{${SEQ_DIGITS}})$`).exec(sk);
  const seq = match?.[1] ? Number(match[1]) : 0;
  return seq >= 1 ? seq : undefined;
}

/**
 * A DynamoDB value that has no JSON counterpart (a set or binary someone wrote into a record). It is not a
 * plain object, so canonical encoding refuses it and the record fails verification as edited.
 */
export class NonJsonAttribute {
  constructor(readonly type: string) {}
}

/**
 * JSON ↔ DynamoDB AttributeValue for the JSON subset audit records hold. Written here rather than taken from
 * @aws-sdk/util-dynamodb because the reader must survive tampered items (huge numbers, sets, binaries) without
 * throwing, and must return them in a form that fails verification instead.
 */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    case 'object':
      if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
      return { M: toAttributeMap(value as Record<string, unknown>) };
    default:
      throw new TypeError(`cannot store a ${typeof value} in an audit item`);
  }
}

export function toAttributeMap(value: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toAttributeValue(v);
  return out;
}

export function fromAttributeValue(av: AttributeValue): unknown {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) {
    const n = Number(av.N);
    return Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n)) ? n : new NonJsonAttribute('N');
  }
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.L !== undefined) return av.L.map(fromAttributeValue);
  if (av.M !== undefined) return fromAttributeMap(av.M);
  return new NonJsonAttribute(Object.keys(av)[0] ?? 'unknown');
}

export function fromAttributeMap(item: Readonly<Record<string, AttributeValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = fromAttributeValue(v);
  return out;
}
