import { GetItemCommand, PutItemCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { keyAttributes, n, s } from '../../lambdas/adapters/dynamodb/items/item';
import type { TableNames } from '../../lambdas/contracts/tables';
import { NamedTransaction } from '../../lambdas/adapters/dynamodb/transaction';
import { createTestTables, testDynamoClient } from '../support/dynamodb';

/** A put that succeeds only while the item is absent: the simplest condition to make fail on purpose. */
function createOnly(table: string, pk: string, value: number): TransactWriteItem {
  return {
    Put: {
      TableName: table,
      Item: { ...keyAttributes({ pk, sk: 'ITEM' }), value: n(value), label: s(pk) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

describe('the named transaction builder on DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  beforeAll(async () => {
    tables = await createTestTables(client, 'transaction');
  });
  afterAll(() => client.destroy());

  const read = async (pk: string) =>
    (
      await client.send(
        new GetItemCommand({ TableName: tables.risk, Key: keyAttributes({ pk, sk: 'ITEM' }), ConsistentRead: true }),
      )
    ).Item;

  it('writes every entry or none', async () => {
    const ok = await new NamedTransaction<'a' | 'b'>()
      .add('a', createOnly(tables.risk, 'T1#a', 1))
      .add('b', createOnly(tables.risk, 'T1#b', 2))
      .send(client);
    expect(ok).toEqual({ ok: true });
    expect((await read('T1#a'))?.value?.N).toBe('1');
    expect((await read('T1#b'))?.value?.N).toBe('2');
  });

  it.each([0, 1, 2])('names the one entry whose condition failed, wherever it sits (position %i)', async (position) => {
    const taken = `T2-${position}#taken`;
    await client.send(new PutItemCommand({ TableName: tables.risk, Item: keyAttributes({ pk: taken, sk: 'ITEM' }) }));
    const names = ['first', 'second', 'third'] as const;
    const transaction = new NamedTransaction<(typeof names)[number]>();
    names.forEach((name, i) =>
      transaction.add(name, createOnly(tables.risk, i === position ? taken : `T2-${position}#${name}`, i)),
    );
    const result = await transaction.send(client);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([...result.failed]).toEqual([names[position]]);
    expect(result.conflicted.size).toBe(0);
    // Cancelled as a whole: the other entries wrote nothing.
    for (const [i, name] of names.entries())
      if (i !== position) expect(await read(`T2-${position}#${name}`)).toBeUndefined();
  });

  it('keeps the name of an entry made of several items for each of them', async () => {
    await client.send(new PutItemCommand({ TableName: tables.risk, Item: keyAttributes({ pk: 'T3#y', sk: 'ITEM' }) }));
    const result = await new NamedTransaction<'pair' | 'last'>()
      .add('pair', createOnly(tables.risk, 'T3#x', 1), createOnly(tables.risk, 'T3#y', 2))
      .add('last', createOnly(tables.risk, 'T3#z', 3))
      .send(client);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([...result.failed]).toEqual(['pair']);
  });

  it('throws what is not a cancellation', async () => {
    const invalid = new NamedTransaction<'bad'>().add('bad', {
      Put: { TableName: 'no-such-table', Item: keyAttributes({ pk: 'x', sk: 'y' }) },
    });
    await expect(invalid.send(client)).rejects.toThrow();
  });

  it('leaves the original alone when extended with more entries', () => {
    const base = new NamedTransaction<'a'>().add('a', createOnly(tables.risk, 'T4#a', 1));
    const extended = base.with('b', [createOnly(tables.risk, 'T4#b', 2)]);
    expect(base.size).toBe(1);
    expect(extended.size).toBe(2);
  });
});
