import { buildCheckpointHandler } from '../../../lambdas/handlers/audit-checkpoint-handler';
import type { CheckpointWritten } from '../../../lambdas/handlers/audit-checkpoints';

const written = (flagged: string[]): CheckpointWritten => ({
  seq: 9,
  at: '2026-12-01T10:15:00.000Z',
  chains: 3,
  records: 120,
  flagged,
  location: 's3://b/t/',
});

describe('scheduled checkpoint handler', () => {
  it('writes one checkpoint at the current time and logs it', async () => {
    const logs: [string, Record<string, unknown>][] = [];
    const at: number[] = [];
    const handler = buildCheckpointHandler({
      checkpoints: { write: (now: number) => (at.push(now), Promise.resolve(written([]))) },
      now: () => 1234,
      log: (level, summary) => logs.push([level, summary]),
    });
    await expect(handler()).resolves.toMatchObject({ seq: 9 });
    expect(at).toEqual([1234]);
    expect(logs).toEqual([['INFO', expect.objectContaining({ checkpoint: 9, chains: 3, flagged: [] })]]);
  });

  it('logs an error naming the chains that no longer extend the previous checkpoint', async () => {
    const logs: [string, Record<string, unknown>][] = [];
    const handler = buildCheckpointHandler({
      checkpoints: { write: () => Promise.resolve(written(['chain-b'])) },
      now: () => 0,
      log: (level, summary) => logs.push([level, summary]),
    });
    await handler();
    expect(logs).toEqual([['ERROR', expect.objectContaining({ flagged: ['chain-b'] })]]);
  });

  it('fails the invocation when the checkpoint cannot be written (so the errors alarm sees it)', async () => {
    const handler = buildCheckpointHandler({
      checkpoints: { write: () => Promise.reject(new Error('AccessDenied')) },
      now: () => 0,
      log: () => undefined,
    });
    await expect(handler()).rejects.toThrow('AccessDenied');
  });
});
