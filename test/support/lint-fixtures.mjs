// Lints source text as if it were a file at a given path, with the project's own ESLint config (type-aware rules
// switched off: they need the file on disk in a TypeScript program, and the layer rules do not). Reads
// `[{ filePath, code }]` as JSON on stdin, writes `[{ filePath, messages: [{ ruleId, message }] }]` on stdout.
// A separate process because ESLint loads its flat config with a dynamic import(), which Jest's module sandbox
// does not offer.
import { readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const fixtures = JSON.parse(readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: tseslint.configs.disableTypeChecked });
const results = [];
for (const { filePath, code } of fixtures) {
  const [result] = await eslint.lintText(code, { filePath, warnIgnored: true });
  results.push({
    filePath,
    messages: (result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message })),
  });
}
process.stdout.write(JSON.stringify(results));
