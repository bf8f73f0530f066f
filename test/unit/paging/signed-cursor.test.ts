import fc from 'fast-check';
import { InvalidCursorError, SignedCursorCodec } from '../../../lambdas/core/paging/signed-cursor';

describe('SignedCursorCodec', () => {
  const codec = new SignedCursorCodec(Buffer.alloc(32, 7));

  it('round-trips any JSON state as plain base64url', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (state) => {
        const cursor = await codec.seal('scope', state);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(await codec.open('scope', cursor)).toEqual(JSON.parse(JSON.stringify(state)));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a cursor of another scope, another key, or with any character changed', async () => {
    const cursor = await codec.seal('audit.export', { v: 1, k: { pk: { S: 'CHAIN#a' } } });
    await expect(codec.open('admin.user-events', cursor)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(new SignedCursorCodec(Buffer.alloc(32, 8)).open('audit.export', cursor)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    for (let i = 0; i < cursor.length; i += 1) {
      const altered = `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
      await expect(codec.open('audit.export', altered)).rejects.toBeInstanceOf(InvalidCursorError);
    }
  });

  it('refuses unsigned, empty, oversized and non-base64url input without parsing it', async () => {
    const unsigned = Buffer.from(JSON.stringify({ v: 1, k: {} })).toString('base64url');
    for (const raw of [unsigned, '', 'x', '!!!not-a-cursor!!!', 'A'.repeat(5000), `${unsigned}.${'A'.repeat(43)}`]) {
      await expect(codec.open('audit.export', raw)).rejects.toThrow(InvalidCursorError);
    }
  });

  it('takes its key lazily (from the application secrets) and names the field', async () => {
    let fetched = 0;
    const lazy = new SignedCursorCodec(() => {
      fetched += 1;
      return Promise.resolve(Buffer.alloc(32, 7));
    });
    expect(fetched).toBe(0);
    expect(await lazy.open('s', await codec.seal('s', { a: 1 }))).toEqual({ a: 1 });
    const error = await lazy.open('s', 'garbage-garbage-garbage-garbage-garbage-garbage').catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'cursor', code: 'invalid_cursor' });
  });
});
