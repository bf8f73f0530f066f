import { ChildProcess, spawnSync } from 'node:child_process';
import { Server } from 'node:net';
import { join } from 'node:path';
import { COMMANDS, load, main } from '../../../bin/cli';
import { findFreePort, portIsFree } from '../../../lambdas/local/dynamodb-local';

/**
 * `--help` and `-h` after every command and subcommand print its help and start nothing: no server listens, no
 * process (DynamoDB Local, Java) is spawned, no request leaves. The lists come from the CLI's own command table,
 * so a command or subcommand added later is covered without touching this file.
 */
describe('stepgate --help on every command and subcommand', () => {
  const invocations: string[][] = [];
  for (const name of Object.keys(COMMANDS)) {
    for (const flag of ['--help', '-h']) invocations.push([name, flag]);
    for (const sub of load(name).subcommands ?? []) invocations.push([name, sub, '--help']);
  }

  let out: string[];
  let started: jest.SpyInstance[];
  beforeEach(() => {
    out = [];
    jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    started = [
      jest.spyOn(Server.prototype, 'listen'),
      // Every child process (DynamoDB Local's Java, a heap-limited evaluate) goes through ChildProcess#spawn.
      jest.spyOn(ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown }, 'spawn'),
      jest.spyOn(globalThis, 'fetch'),
    ];
  });
  afterEach(() => jest.restoreAllMocks());

  it('covers every command and the subcommands of policy, shadow and audit', () => {
    expect(invocations.map((i) => i.join(' '))).toEqual(
      expect.arrayContaining(['dev --help', 'demo -h', 'openapi --help', 'policy apply --help', 'audit verify --help']),
    );
    expect(invocations.filter((i) => i.length === 3).length).toBeGreaterThanOrEqual(14);
  });

  it.each(invocations.map((args) => [args.join(' '), args] as const))(
    'stepgate %s: exit 0, a usage line, nothing started',
    async (_label, args) => {
      expect(await main([...args])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(new RegExp(`^usage: +stepgate ${args[0]}\\b|^usage:\\n +stepgate ${args[0]}\\b`));
      for (const spy of started) expect(spy).not.toHaveBeenCalled();
    },
  );

  it('refuses an argument to dev instead of starting a stack anyway', async () => {
    expect(await main(['dev', 'now'])).toBe(2);
    expect(out.join('\n')).toMatch(/unexpected argument "now"/);
    for (const spy of started) expect(spy).not.toHaveBeenCalled();
  });

  it('the real binary: `stepgate dev --help` exits at once and leaves its ports free', async () => {
    const port = await findFreePort();
    const dynamoPort = await findFreePort();
    const run = spawnSync(process.execPath, [join(__dirname, '../../../bin/stepgate-cli.js'), 'dev', '--help'], {
      env: { ...process.env, PORT: String(port), STEPGATE_DYNAMODB_PORT: String(dynamoPort) },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect({ status: run.status, signal: run.signal }).toEqual({ status: 0, signal: null });
    expect(run.stdout).toMatch(/^usage: stepgate dev/);
    expect(await portIsFree(port)).toBe(true);
    expect(await portIsFree(dynamoPort)).toBe(true);
  });
});
