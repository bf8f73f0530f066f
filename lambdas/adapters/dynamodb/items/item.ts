import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * What every item codec shares: the low-level item type, the table key (`pk` + `sk` on every stepgate table) and
 * the two attribute constructors the hand-written items use.
 */
export type Item = Record<string, AttributeValue>;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export function keyAttributes(key: ItemKey): Item {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

export const n = (value: number): AttributeValue => ({ N: String(value) });
export const s = (value: string): AttributeValue => ({ S: value });

/** A number attribute, 0 when absent (counters start at nothing). */
export function numberAttribute(item: Item | undefined, name: string): number {
  return Number(item?.[name]?.N ?? 0);
}

/** BatchGetItem answers in no particular order: callers index what it found by this (`pk` + `sk`). */
export function itemKey(item: Item | ItemKey): string {
  const pk = typeof item.pk === 'string' ? item.pk : (item.pk?.S ?? '');
  const sk = typeof item.sk === 'string' ? item.sk : (item.sk?.S ?? '');
  return `${pk}\u0000${sk}`;
}
