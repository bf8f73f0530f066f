import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { findFreePort } from '../../lambdas/local/dynamodb-local';

const CLI = 'bin/stepgate-cli.js';

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${pattern}" within ${timeoutMs} ms; output:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function javaChildrenOf(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid), 'java'], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean).map(Number);
}

describe('`stepgate dev` (npm start)', () => {
  it('prints "stepgate ready", serves /health, and leaves no DynamoDB Local behind after SIGINT', async () => {
    const port = await findFreePort();
    const dynamoPort = await findFreePort();
    const child = spawn(process.execPath, [CLI, 'dev'], {
      env: { ...process.env, PORT: String(port), STEPGATE_DYNAMODB_PORT: String(dynamoPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const output = await waitForLine(child, /stepgate ready/, 60_000);
      expect(output).toContain(`http://127.0.0.1:${port}/health`);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const javaPids = javaChildrenOf(child.pid!);
      expect(javaPids).toHaveLength(1);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      for (const pid of javaPids) expect(processAlive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it('says which port is taken and how to choose another, without a stack trace', async () => {
    const blocker = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const result = spawnSync(process.execPath, [CLI, 'dev'], {
        env: { ...process.env, PORT: String(port), STEPGATE_DYNAMODB_PORT: String(await findFreePort()) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`Port ${port} is already in use`);
      expect(result.stderr).toContain('PORT=');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 40_000);

  it('names the missing Java and the install command in one line, exit code 1', () => {
    // A PATH with node but without java.
    const result = spawnSync(process.execPath, [CLI, 'dev'], {
      env: { ...process.env, PATH: '/nonexistent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('apt-get install -y openjdk-17-jre-headless');
  }, 40_000);
});
