import { Validations, type App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildStepgate } from '../../../lib/stepgate-app';
import { stageConfig } from '../../../lib/stage-config';
import { synthStage, testApp } from '../support/synth';

function violations(app: App): string[] {
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`)),
  );
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason })),
        ),
    );
}

describe.each(['dev', 'prod'] as const)('cdk-nag (%s)', (stage) => {
  const s = synthStage(stage);

  it('finds nothing in the AwsSolutions and Serverless packs (errors or warnings)', () => {
    expect(violations(s.app)).toEqual([]);
  });

  it('reports no error annotations', () => {
    for (const stack of [s.stateful, s.stateless]) {
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    }
  });

  it('explains every acknowledgement specifically', () => {
    const acks = acknowledgements(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      expect(a.reason.length).toBeGreaterThan(60);
      expect(a.reason).not.toMatch(/placeholder|todo|tbd/i);
    }
  });
});

// bin.test.ts synthesizes prod through bin/stepgate.ts, which registers the packs the same way.
it('synthesizes dev with the packs registered as validation plugins, as bin/stepgate.ts does', () => {
  const app = testApp();
  buildStepgate(app, stageConfig('dev'), { env: { region: 'us-east-1' } });
  expect(() => app.synth()).not.toThrow();
});
