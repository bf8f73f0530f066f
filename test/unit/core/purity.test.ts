import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../../..');
const PURE_DIRS = ['lambdas/core/risk', 'lambdas/core/policy', 'lambdas/core/net'];
const PURE_FILES = ['lambdas/core/errors.ts', 'lambdas/contracts/identifiers.ts'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const SOURCES = [...PURE_DIRS.flatMap((d) => files(join(ROOT, d))), ...PURE_FILES.map((f) => join(ROOT, f))].map(
  (path) => ({
    path: relative(ROOT, path),
    // Comments may mention what the code must not do.
    code: readFileSync(path, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, ''),
  }),
);

const FORBIDDEN: [string, RegExp][] = [
  ['the AWS SDK', /from ['"]@aws-sdk\//],
  ['geoip-lite', /from ['"]geoip-lite['"]/],
  ['ua-parser-js', /from ['"]ua-parser-js['"]/],
  ['the file system', /from ['"](node:)?fs(\/promises)?['"]/],
  ['process.env', /process\.env/],
  ['the clock', /Date\.now\(|new Date\(\s*\)|performance\.now\(/],
  ['randomness', /Math\.random\(|randomUUID|randomBytes/],
  ['dynamic require', /\brequire\(/],
];

describe('the risk core stays pure', () => {
  it('has sources to check', () => {
    expect(SOURCES.length).toBeGreaterThan(15);
  });

  it.each(FORBIDDEN)('never uses %s', (_what, pattern) => {
    const offenders = SOURCES.filter((s) => pattern.test(s.code)).map((s) => s.path);
    expect(offenders).toEqual([]);
  });

  it('names files in kebab-case', () => {
    for (const s of SOURCES) expect(s.path.split('/').pop()).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*\.ts$/);
  });
});
