import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { API_ROUTES } from '../../../lambdas/contracts/routes';
import { ENV } from '../../../lambdas/contracts/environment';
import {
  API_LAMBDAS,
  LAMBDA_ENTRIES,
  SCHEDULED_LAMBDAS,
  TRIGGER_LAMBDAS,
  type LambdaName,
} from '../../../lib/lambda-entries';
import type { StepgateFunction } from '../../../lib/constructs/stepgate-function';
import { CONFIGURED, logicalId, REPO_ROOT, synthStage, type Synthesized } from '../support/synth';

type FunctionProps = {
  Runtime: string;
  Architectures: string[];
  MemorySize: number;
  Timeout: number;
  TracingConfig: { Mode: string };
  LoggingConfig: { LogFormat: string; LogGroup: unknown };
  Environment: { Variables: Record<string, unknown> };
};

function functionsOf(s: Synthesized): Record<LambdaName, StepgateFunction> {
  return {
    decide: s.stateless.decision.decide,
    admin: s.stateless.admin.admin,
    audit: s.stateless.admin.audit,
    totp: s.stateless.stepUp.totp,
    'audit-checkpoint': s.stateful.anchoring.writer,
    ...s.stateful.auth.triggers,
  };
}

function props(template: Template, fn: StepgateFunction): FunctionProps {
  const id = logicalId(fn.fn);
  const resource = template.toJSON().Resources[id] as { Properties: FunctionProps } | undefined;
  if (!resource) throw new Error(`no function ${id}`);
  return resource.Properties;
}

describe('Lambda functions', () => {
  it('has a wiring entry file for every function (NodejsFunction cannot build without it)', () => {
    const missing = Object.values(LAMBDA_ENTRIES)
      .map((e) => e.entry)
      .filter((entry) => !fs.existsSync(path.join(REPO_ROOT, entry)));
    expect(missing).toEqual([]);
  });

  it('bundles no CDK code: wiring files take shared names from lambdas/contracts, never from lib/', () => {
    const fromLib = Object.values(LAMBDA_ENTRIES).flatMap(({ entry }) =>
      fs
        .readFileSync(path.join(REPO_ROOT, entry), 'utf8')
        .split('\n')
        .filter((line) => /\bfrom '(\.\.\/)+lib\//.test(line))
        .map((line) => `${entry}: ${line}`),
    );
    expect(fromLib).toEqual([]);
  });

  it('serves every API_ROUTES function with an API Lambda', () => {
    expect(
      [...new Set(API_ROUTES.map((r) => r.fn))].every((fn) => (API_LAMBDAS as readonly string[]).includes(fn)),
    ).toBe(true);
  });

  describe.each(['dev', 'prod'] as const)('%s', (stage) => {
    const s = synthStage(stage);
    const all = functionsOf(s);
    const templateOf = (name: LambdaName) =>
      [...TRIGGER_LAMBDAS, ...SCHEDULED_LAMBDAS].includes(name as never) ? s.statefulTemplate : s.statelessTemplate;

    it('runs every function (the secret seeder too) on nodejs24.x, arm64, with X-Ray and JSON logs', () => {
      for (const template of [s.statefulTemplate, s.statelessTemplate]) {
        const fns = Object.values(template.findResources('AWS::Lambda::Function')) as { Properties: FunctionProps }[];
        expect(fns.length).toBeGreaterThan(0);
        for (const { Properties: p } of fns) {
          expect(p.Runtime).toBe('nodejs24.x');
          expect(p.Architectures).toEqual(['arm64']);
          expect(p.TracingConfig).toEqual({ Mode: 'Active' });
          expect(p.LoggingConfig.LogFormat).toBe('JSON');
          expect(p.MemorySize).toBeGreaterThanOrEqual(256);
        }
      }
    });

    it('gives decide 1024 MB and keeps Cognito triggers under the 5 s trigger limit', () => {
      expect(props(s.statelessTemplate, all.decide).MemorySize).toBe(1024);
      for (const name of TRIGGER_LAMBDAS) {
        expect(props(s.statefulTemplate, all[name]).Timeout).toBeLessThan(5);
      }
      // HTTP API integrations time out at 30 s.
      for (const name of API_LAMBDAS) expect(props(s.statelessTemplate, all[name]).Timeout).toBeLessThan(30);
    });

    it('sets exactly the environment each function declares in lib/lambda-entries.ts', () => {
      for (const [name, fn] of Object.entries(all) as [LambdaName, StepgateFunction][]) {
        const vars = props(templateOf(name), fn).Environment.Variables;
        expect(Object.keys(vars).sort()).toEqual([...LAMBDA_ENTRIES[name].env, 'NODE_OPTIONS'].sort());
        expect(vars[ENV.stage]).toBe(stage);
        expect(vars[ENV.powertoolsMetricsNamespace]).toBe('Stepgate');
        expect(vars[ENV.powertoolsServiceName]).toBe('stepgate');
      }
    });

    it('points decide at the three tables, the pool and its issuer', () => {
      const vars = props(s.statelessTemplate, all.decide).Environment.Variables;
      const json = JSON.stringify(vars);
      for (const table of [s.stateful.tables.risk, s.stateful.tables.audit, s.stateful.tables.policy]) {
        expect(json).toContain(logicalId(table));
      }
      expect(JSON.stringify(vars[ENV.tokenIssuer])).toContain('https://cognito-idp.us-east-1.');
      expect(JSON.stringify(vars[ENV.tokenIssuer])).toContain(logicalId(s.stateful.auth.userPool));
      expect(JSON.stringify(vars[ENV.appClientIds])).toContain(logicalId(s.stateful.auth.appClient));
    });

    it('gives the create trigger the SES sender and no trigger a pool/client variable (that would be a cycle)', () => {
      const create = props(s.statefulTemplate, all['create-auth-challenge']).Environment.Variables;
      expect(create[ENV.sesFromAddress]).toBe('no-reply@example.com');
      for (const name of TRIGGER_LAMBDAS) {
        const vars = props(s.statefulTemplate, all[name]).Environment.Variables;
        for (const v of [ENV.userPoolId, ENV.webClientId, ENV.appClientIds, ENV.tokenIssuer]) {
          expect(vars[v]).toBeUndefined();
        }
      }
    });

    it('logs each function to its own group with the stage retention', () => {
      const retention = stage === 'prod' ? 365 : 14;
      for (const [name, fn] of Object.entries(all) as [LambdaName, StepgateFunction][]) {
        const template = templateOf(name);
        expect(props(template, fn).LoggingConfig.LogGroup).toEqual({ Ref: logicalId(fn.logGroup) });
        const group = template.toJSON().Resources[logicalId(fn.logGroup)];
        expect(group.Properties.RetentionInDays).toBe(retention);
        expect(group.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
      }
    });
  });

  it('points decide at the ASN table in its bundle, or at an operator layer from S3 when configured', () => {
    const plain = synthStage('dev');
    expect(props(plain.statelessTemplate, plain.stateless.decision.decide).Environment.Variables).toMatchObject({
      [ENV.networkDataFile]: 'network/asn.bin',
    });
    expect(plain.statelessTemplate.findResources('AWS::Lambda::LayerVersion')).toEqual({});

    const s3 = { bucket: 'ops-data', key: 'stepgate/asn-2026-07.zip', objectVersion: 'v7' };
    const layered = synthStage('dev', { networkData: { s3 } });
    const layer = layered.stateless.decision.networkDataLayer;
    expect(layer).toBeDefined();
    const layers = Object.entries(layered.statelessTemplate.findResources('AWS::Lambda::LayerVersion'));
    expect(layers).toHaveLength(1);
    expect(layers[0]![1]).toMatchObject({
      Properties: {
        Content: { S3Bucket: 'ops-data', S3Key: 'stepgate/asn-2026-07.zip', S3ObjectVersion: 'v7' },
        CompatibleRuntimes: ['nodejs24.x'],
        CompatibleArchitectures: ['arm64'],
      },
    });
    const decide = props(layered.statelessTemplate, layered.stateless.decision.decide) as FunctionProps & {
      Layers?: unknown[];
    };
    expect(decide.Layers).toEqual([{ Ref: logicalId(layer!) }]);
    expect(decide.Environment.Variables[ENV.networkDataFile]).toBe('/opt/network/asn.bin');
    // Only decide locates addresses; no other function gets the layer.
    for (const fn of [layered.stateless.admin.admin, layered.stateless.admin.audit, layered.stateless.stepUp.totp]) {
      expect((props(layered.statelessTemplate, fn) as { Layers?: unknown }).Layers).toBeUndefined();
    }
  });

  it('takes the SES sender from config', () => {
    const s = synthStage('dev', CONFIGURED);
    const vars = props(s.statefulTemplate, s.stateful.auth.triggers['create-auth-challenge']).Environment.Variables;
    expect(vars[ENV.sesFromAddress]).toBe('codes@stepgate.example.org');
  });
});
