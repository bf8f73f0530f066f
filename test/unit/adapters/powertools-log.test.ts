import type { Context } from 'aws-lambda';
import { correlationIds, PowertoolsLog, type LogLevelName } from '../../../lambdas/adapters/powertools-log';

/** Every JSON line the logger writes to stdout or stderr while `run` runs. */
async function captured(run: () => unknown): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => (chunks.push(String(chunk)), true);
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function context(awsRequestId: string): Context {
  return { awsRequestId, functionName: 'stepgate-decide' } as Context;
}

const logAt = (level?: LogLevelName) => new PowertoolsLog(level ? { level } : {});

describe('PowertoolsLog', () => {
  it('puts the Lambda request id and the API Gateway request id on every line of an invocation', async () => {
    const log = logAt();
    const handler = log.handler(async (event: { requestContext: { requestId: string } }) => {
      log.info('first', { step: 1 });
      await new Promise((resolve) => setImmediate(resolve));
      log.error('second', { step: 2 });
      return event.requestContext.requestId;
    }, correlationIds.http);
    const lines = await captured(() =>
      handler({ requestContext: { requestId: 'JjhqPhvJIAMEV3g=' } }, context('req-1')),
    );
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'first',
        service: 'stepgate',
        function_request_id: 'req-1',
        correlation_id: 'JjhqPhvJIAMEV3g=',
        function_name: 'stepgate-decide',
        step: 1,
      }),
      expect.objectContaining({ level: 'ERROR', message: 'second', function_request_id: 'req-1', step: 2 }),
    ]);
  });

  it('keeps concurrent invocations apart (the local runtime serves many requests in one process)', async () => {
    const log = logAt();
    const handler = log.handler(async (event: { n: number; wait: number }) => {
      await new Promise((resolve) => setTimeout(resolve, event.wait));
      log.info('done', { n: event.n });
    });
    const lines = await captured(() =>
      Promise.all([handler({ n: 1, wait: 20 }, context('req-a')), handler({ n: 2, wait: 1 }, context('req-b'))]),
    );
    expect(lines.map((l) => [l.n, l.function_request_id, l.correlation_id])).toEqual([
      [2, 'req-b', 'req-b'],
      [1, 'req-a', 'req-a'],
    ]);
  });

  it('marks only the first invocation of the process as a cold start', async () => {
    const log = logAt();
    const handler = log.handler(() => Promise.resolve(log.info('x')));
    const lines = await captured(async () => {
      await handler({}, context('one'));
      await handler({}, context('two'));
    });
    expect(lines.map((l) => l.cold_start)).toEqual([true, false]);
  });

  it('logs outside an invocation (cold start) without invocation keys', async () => {
    const log = logAt();
    const [line] = await captured(() => log.info('network data', { networkData: 'off' }));
    expect(line).toMatchObject({ level: 'INFO', message: 'network data', networkData: 'off' });
    expect(line).not.toHaveProperty('function_request_id');
  });

  it('keeps a field named like a key Powertools owns instead of dropping it', async () => {
    const log = logAt();
    const lines = await captured(() => log.error('unexpected error', { name: 'TypeError', message: 'boom', level: 3 }));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'unexpected error', detail: 'boom', field_level: 3 }),
    ]);
  });

  it('writes nothing at level SILENT', async () => {
    const log = logAt('SILENT');
    expect(await captured(() => log.error('hidden'))).toEqual([]);
  });
});

describe('correlation ids', () => {
  it('takes the step-up id of a Cognito ceremony only when it is an id stepgate could have generated', () => {
    const event = (stepUpId: unknown) => ({ request: { clientMetadata: { stepUpId } } });
    expect(correlationIds.cognito(event('f462bc43-49aa-4375-a3b5-622d39d3858d'))).toBe(
      'f462bc43-49aa-4375-a3b5-622d39d3858d',
    );
    // ClientMetadata is the client's: a line break, a token-sized value or a non-string never reaches a log line.
    expect(correlationIds.cognito(event('su-1\n{"level":"ERROR"}'))).toBeUndefined();
    expect(correlationIds.cognito(event(`eyJ${'a'.repeat(300)}`))).toBeUndefined();
    expect(correlationIds.cognito(event({ nested: true }))).toBeUndefined();
    expect(correlationIds.cognito({ request: {} })).toBeUndefined();
  });

  it('takes API Gateway and EventBridge ids only when printable and short', () => {
    expect(correlationIds.http({ requestContext: { requestId: 'JjhqPhvJIAMEV3g=' } })).toBe('JjhqPhvJIAMEV3g=');
    expect(correlationIds.http({ requestContext: { requestId: 'a b' } })).toBeUndefined();
    expect(correlationIds.http({ requestContext: { requestId: 'x'.repeat(129) } })).toBeUndefined();
    expect(correlationIds.http({})).toBeUndefined();
    expect(correlationIds.scheduled({ id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa' })).toBe(
      '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    );
    expect(correlationIds.scheduled(undefined)).toBeUndefined();
  });

  it('never logs the event of a wrapped trigger, even with POWERTOOLS_LOGGER_LOG_EVENT set', async () => {
    const previous = process.env.POWERTOOLS_LOGGER_LOG_EVENT;
    process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
    try {
      const log = logAt();
      const trigger = log.handler((event: { request: Record<string, unknown> }) => {
        log.info('verify auth challenge response', { outcome: 'pass' });
        return Promise.resolve(event);
      }, correlationIds.cognito);
      const event = {
        request: {
          privateChallengeParameters: { codeHash: 'c0ffee-secret-hash' },
          challengeAnswer: '482913',
          clientMetadata: { stepUpId: 'su-1', accessToken: 'eyJhbGciOiJSUzI1NiJ9.secret-token.sig' },
        },
      };
      const text = JSON.stringify(await captured(() => trigger(event, context('req-t'))));
      expect(text).toContain('"correlation_id":"su-1"');
      for (const secret of ['c0ffee-secret-hash', '482913', 'secret-token']) expect(text).not.toContain(secret);
    } finally {
      if (previous === undefined) delete process.env.POWERTOOLS_LOGGER_LOG_EVENT;
      else process.env.POWERTOOLS_LOGGER_LOG_EVENT = previous;
    }
  });
});
