/** Runs bin/stepgate.ts the way `cdk synth` does (context through CDK_CONTEXT_JSON), without bundling. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cdkJsonContext, REPO_ROOT } from './support/synth';

function runApp(context: Record<string, unknown>) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepgate-bin-'));
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(REPO_ROOT, 'bin', 'stepgate.ts')],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context }),
      },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { ...result, outdir };
}

describe('bin/stepgate.ts', () => {
  it('synthesizes prod offline with nag plugins registered, taking the sender and an ASN data layer from context', () => {
    const r = runApp({
      stage: 'prod',
      sesFromAddress: 'codes@stepgate.example.org',
      networkDataS3: 's3://ops-data/stepgate/asn-2026-07.zip',
      networkDataS3Version: 'v3',
    });
    try {
      expect(r.stderr).not.toMatch(/ValidationFailed|Error/);
      expect(r.status).toBe(0);
      const files = fs.readdirSync(r.outdir);
      expect(files).toEqual(
        expect.arrayContaining(['stepgate-prod-stateful.template.json', 'stepgate-prod-stateless.template.json']),
      );
      const stateful = fs.readFileSync(path.join(r.outdir, 'stepgate-prod-stateful.template.json'), 'utf8');
      expect(stateful).toContain('codes@stepgate.example.org');
      expect(stateful).toContain('stepgate-prod-audit');
      const manifest = JSON.parse(fs.readFileSync(path.join(r.outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, { properties?: { terminationProtection?: boolean } }>;
      };
      expect(manifest.artifacts['stepgate-prod-stateful']?.properties?.terminationProtection).toBe(true);
      expect(manifest.artifacts['stepgate-prod-stateless']?.properties?.terminationProtection).toBe(true);
      const stateless = JSON.parse(
        fs.readFileSync(path.join(r.outdir, 'stepgate-prod-stateless.template.json'), 'utf8'),
      ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
      const layers = Object.values(stateless.Resources).filter((x) => x.Type === 'AWS::Lambda::LayerVersion');
      expect(layers.map((l) => l.Properties.Content)).toEqual([
        { S3Bucket: 'ops-data', S3Key: 'stepgate/asn-2026-07.zip', S3ObjectVersion: 'v3' },
      ]);
      expect(JSON.stringify(stateless)).toContain('/opt/network/asn.bin');
    } finally {
      fs.rmSync(r.outdir, { recursive: true, force: true });
    }
  }, 120_000);

  it('rejects an S3 location that is not s3://bucket/key', () => {
    const r = runApp({ networkDataS3: 'ops-data' });
    fs.rmSync(r.outdir, { recursive: true, force: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('-c networkDataS3=ops-data: expected s3://bucket/key');
  }, 120_000);

  it('rejects an unknown stage', () => {
    const r = runApp({ stage: 'staging' });
    fs.rmSync(r.outdir, { recursive: true, force: true });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('-c stage=staging: expected one of dev, prod');
  }, 120_000);
});
