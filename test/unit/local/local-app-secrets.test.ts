import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_SECRETS_FILE, localAppSecrets } from '../../../lambdas/local/local-app-secrets';

describe('the local application secret', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stepgate-secrets-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is random per process while the data lives in memory', async () => {
    const [a, b] = await Promise.all([localAppSecrets(undefined).get(), localAppSecrets(undefined).get()]);
    expect(a.pseudonymKey).not.toBe(b.pseudonymKey);
  });

  it('outlives a restart when the data does: kept beside it, readable by its owner only', async () => {
    const first = await localAppSecrets(dir).get();
    const again = await localAppSecrets(dir).get();
    expect(again).toEqual(first);
    expect(first.pseudonymKey.length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(first.decisionTokenKey).length).toBe(32);
    expect((await stat(join(dir, LOCAL_SECRETS_FILE))).mode & 0o777).toBe(0o600);
  });

  it('adds keys a file from an older version lacks, and keeps the ones it has', async () => {
    await writeFile(join(dir, LOCAL_SECRETS_FILE), JSON.stringify({ otpPepper: 'p'.repeat(43) }));
    const secrets = await localAppSecrets(dir).get();
    expect(secrets.otpPepper).toBe('p'.repeat(43));
    expect(JSON.parse(await readFile(join(dir, LOCAL_SECRETS_FILE), 'utf8'))).toMatchObject({
      otpPepper: 'p'.repeat(43),
      pseudonymKey: secrets.pseudonymKey,
    });
  });

  it('refuses a file it cannot read, naming it', async () => {
    await writeFile(join(dir, LOCAL_SECRETS_FILE), 'not json');
    expect(() => localAppSecrets(dir)).toThrow(LOCAL_SECRETS_FILE);
  });
});
