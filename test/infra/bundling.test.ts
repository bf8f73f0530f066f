/**
 * The one test that really bundles: the decide function, through the same StepgateFunction construct (same esbuild
 * options, same afterBundling hook) that `cdk synth` uses, then checks that geoip-lite and its data files were
 * shipped next to the bundle and that the bundle loads and geolocates in a fresh Node process. Then, for every
 * entry, esbuild's dependency graph (no output): geoip-lite only where its data is shipped, and no CDK in a Lambda.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StepgateFunction } from '../../lib/constructs/stepgate-function';
import { StepgateTables } from '../../lib/constructs/stepgate-tables';
import { ENV } from '../../lambdas/contracts/environment';
import { LAMBDA_ENTRIES, type LambdaName } from '../../lib/lambda-entries';
import { cdkJsonContext, REPO_ROOT } from './support/synth';
import {
  BUNDLED_LICENCE_FILES,
  bundledPackage,
  ensureBundledAsnTable,
} from '../../tools/network-data/ip-location-db-asn';

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

function sizeOf(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = path.join(dir, e.name);
    return sum + (e.isDirectory() ? sizeOf(p) : fs.statSync(p).size);
  }, 0);
}

describe('decide bundle (real esbuild run)', () => {
  let outdir: string;
  let assetDir: string;

  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepgate-bundle-'));
    const app = new App({ outdir, context: cdkJsonContext() });
    const stack = new Stack(app, 'Bundle', { env: { region: 'us-east-1' } });
    const tables = new StepgateTables(stack, 'Tables', { prefix: 'bundle' });
    new StepgateFunction(stack, 'Decide', {
      name: 'decide',
      tables,
      secret: new Secret(stack, 'Secret'),
      environment: {
        [ENV.stage]: 'dev',
        [ENV.userPoolId]: 'pool',
        [ENV.appClientIds]: 'app',
        [ENV.webClientId]: 'web',
        [ENV.tokenIssuer]: 'https://issuer',
      },
      logRetention: RetentionDays.ONE_DAY,
    });
    app.synth();
    const assets = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    assetDir = path.join(outdir, assets[0]!);
  }, 240_000);

  afterAll(() => {
    if (outdir) fs.rmSync(outdir, { recursive: true, force: true });
  });

  it('ships geoip-lite with all five data files, byte for byte, and its async dependency', () => {
    const src = path.join(REPO_ROOT, 'node_modules', 'geoip-lite', 'data');
    const dst = path.join(assetDir, 'node_modules', 'geoip-lite', 'data');
    const dats = fs.readdirSync(src).filter((f) => f.endsWith('.dat'));
    expect(dats.sort()).toEqual(
      ['geoip-city-names.dat', 'geoip-city.dat', 'geoip-city6.dat', 'geoip-country.dat', 'geoip-country6.dat'].sort(),
    );
    for (const f of dats) expect(fs.statSync(path.join(dst, f)).size).toBe(fs.statSync(path.join(src, f)).size);
    expect(fs.existsSync(path.join(assetDir, 'node_modules', 'geoip-lite', 'lib', 'geoip.js'))).toBe(true);
    expect(fs.existsSync(path.join(assetDir, 'node_modules', 'async', 'dist', 'async.js'))).toBe(true);
  });

  it('ships the ASN table built from @ip-location-db/asn, byte for byte, with the data licences', () => {
    const shipped = path.join(assetDir, 'network');
    expect(fs.readFileSync(path.join(shipped, 'asn.bin')).equals(fs.readFileSync(ensureBundledAsnTable()))).toBe(true);
    expect(fs.readdirSync(shipped).sort()).toEqual(['asn.bin', ...BUNDLED_LICENCE_FILES].sort());
    expect(fs.readFileSync(path.join(shipped, 'DBIP-LICENSE'), 'utf8')).toContain('DB-IP.com');
  });

  it('bundles everything else (AWS SDK included) into one minified index.js with a source map', () => {
    const entries = fs.readdirSync(assetDir).sort();
    expect(entries).toEqual(['index.js', 'index.js.map', 'network', 'node_modules']);
    expect(fs.readdirSync(path.join(assetDir, 'node_modules')).sort()).toEqual(['async', 'geoip-lite']);
    const js = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(js).toMatch(/require\("geoip-lite"\)/);
    expect(js).toContain('DynamoDB');
  });

  it('stays under the 250 MB unzipped Lambda limit', () => {
    expect(sizeOf(assetDir)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
  });

  it('loads in a fresh Node process: exports handler, geolocates and logs the age of the shipped ASN table', () => {
    const script = `
      const m = require(${JSON.stringify(path.join(assetDir, 'index.js'))});
      const geo = require(${JSON.stringify(path.join(assetDir, 'node_modules', 'geoip-lite'))});
      process.stdout.write('RESULT ' + JSON.stringify({ handler: typeof m.handler, country: geo.lookup('8.8.8.8')?.country }));
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        STAGE: 'dev',
        SECRETS_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
        RISK_TABLE: 'r',
        AUDIT_TABLE: 'a',
        POLICY_TABLE: 'p',
        USER_POOL_ID: 'pool',
        APP_CLIENT_IDS: 'app',
        WEB_CLIENT_ID: 'web',
        TOKEN_ISSUER: 'https://issuer',
        POWERTOOLS_SERVICE_NAME: 'stepgate',
        POWERTOOLS_METRICS_NAMESPACE: 'Stepgate',
        // As the stack sets it (relative to the function's code).
        NETWORK_DATA_FILE: 'network/asn.bin',
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    const lines = out.split('\n');
    const result = lines.find((l) => l.startsWith('RESULT '))?.slice('RESULT '.length);
    expect(JSON.parse(result ?? 'null')).toEqual({ handler: 'function', country: 'US' });
    const coldStart = lines.map((l) => (l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : {}));
    const networkLog = coldStart.find((l) => l.message === 'network data');
    expect(networkLog).toMatchObject({
      level: 'INFO',
      networkData: {
        source: '@ip-location-db/asn',
        dataDate: bundledPackage().dataDate,
        ageDays: expect.any(Number) as number,
        file: path.join(assetDir, 'network', 'asn.bin'),
      },
    });
    // The age is a metric too (EMF), so an alarm can say when nobody refreshed the data.
    expect(coldStart.some((l) => JSON.stringify(l._aws ?? null).includes('NetworkDataAgeDays'))).toBe(true);
  }, 90_000);
});

describe('every Lambda entry (esbuild dependency graph, no output)', () => {
  it.each(Object.keys(LAMBDA_ENTRIES) as LambdaName[])(
    '%s imports geoip-lite exactly when its spec ships the data, and never pulls in the CDK',
    async (name) => {
      const result = await build({
        entryPoints: [path.join(REPO_ROOT, LAMBDA_ENTRIES[name].entry)],
        bundle: true,
        platform: 'node',
        write: false,
        metafile: true,
        external: ['geoip-lite'],
        logLevel: 'silent',
      });
      const output = Object.values(result.metafile.outputs)[0]!;
      const importsGeoip = output.imports.some((i) => i.external && i.path === 'geoip-lite');
      // Without the shipped data files, importing geoip-lite fails the cold start.
      expect(importsGeoip).toBe(LAMBDA_ENTRIES[name].geoip);
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((i) => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(i))).toEqual([]);
      // The table is read, never built, in a Lambda: no builder, no MMDB reader, no CSV source in a bundle.
      expect(
        inputs.filter((i) => /asn-table-builder|asn-range-files|ip-location-db|node_modules\/maxmind/.test(i)),
      ).toEqual([]);
      expect(inputs.some((i) => i.endsWith('asn-table-locator.ts'))).toBe(LAMBDA_ENTRIES[name].geoip);
    },
    60_000,
  );
});
