import { buildCheckpointHandler } from '../../../lambdas/handlers/audit-checkpoint-handler';
import type { CheckpointWritten } from '../../../lambdas/application/audit-checkpoints/audit-checkpoints';
import { RecordingLog, silentLog } from '../../support/recording-log';

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
    const log = new RecordingLog();
    const at: number[] = [];
    const handler = buildCheckpointHandler({
      checkpoints: { write: (now: number) => (at.push(now), Promise.resolve(written([]))) },
      now: () => 1234,
      log,
    });
    await expect(handler()).resolves.toMatchObject({ seq: 9 });
    expect(at).toEqual([1234]);
    expect(log.lines).toEqual([expect.objectContaining({ level: 'INFO', checkpoint: 9, chains: 3, flagged: [] })]);
  });

  it('logs an error naming the chains that no longer extend the previous checkpoint', async () => {
    const log = new RecordingLog();
    const handler = buildCheckpointHandler({
      checkpoints: { write: () => Promise.resolve(written(['chain-b'])) },
      now: () => 0,
      log,
    });
    await handler();
    expect(log.lines).toEqual([expect.objectContaining({ level: 'ERROR', flagged: ['chain-b'] })]);
  });

  it('fails the invocation when the checkpoint cannot be written (so the errors alarm sees it)', async () => {
    const handler = buildCheckpointHandler({
      checkpoints: { write: () => Promise.reject(new Error('AccessDenied')) },
      now: () => 0,
      log: silentLog,
    });
    await expect(handler()).rejects.toThrow('AccessDenied');
  });
});
