import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { stageConfig, type StageName, type StageOverrides } from '../../../lib/stage-config';
import { buildStepgate, type StepgateStacks } from '../../../lib/stepgate-app';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** cdk.json's context (feature flags such as minimizePolicies), so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** An App like bin/stepgate.ts builds, minus asset bundling (fast, offline). */
export function testApp(extraContext: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...extraContext } });
}

export interface Synthesized extends StepgateStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

const cache = new Map<string, Synthesized>();

/** Both stacks of a stage, without the nag plugins (they have their own test), memoized per stage and overrides. */
export function synthStage(stage: StageName, overrides: StageOverrides = {}): Synthesized {
  const key = JSON.stringify([stage, overrides]);
  const hit = cache.get(key);
  if (hit) return hit;
  const app = testApp();
  const stacks = buildStepgate(app, stageConfig(stage, overrides), { nag: false, env: { region: 'us-east-1' } });
  const result: Synthesized = {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    statelessTemplate: Template.fromStack(stacks.stateless),
  };
  cache.set(key, result);
  return result;
}

export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

interface PolicyStatementJson {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the inline policies attached to `roleLogicalId` in `template`. */
export function statementsOfRole(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { Roles: unknown[]; PolicyDocument: { Statement: PolicyStatementJson[] } } }
  >;
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: PolicyStatementJson): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/**
 * Allowed actions per resource, with resources named by `labels` (logical id fragment → label): a table ARN in the
 * same stack (GetAtt) and one imported from the stateful stack (ImportValue) both contain the table's logical id;
 * an index ARN is the table's plus `/index/<name>`.
 */
export function allowedByResource(
  statements: PolicyStatementJson[],
  labels: Readonly<Record<string, string>>,
): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const s of statements.filter((st) => st.Effect === 'Allow')) {
    for (const resource of resourcesOf(s)) {
      const json = JSON.stringify(resource);
      const match = Object.entries(labels).find(([fragment]) => json.includes(fragment));
      let label = resource === '*' ? '*' : match ? match[1] : json;
      const index = /\/index\/([A-Za-z0-9_-]+)/.exec(json);
      if (match && index) label = `${label}/index/${index[1]}`;
      for (const a of actionsOf(s)) (out[label] ??= new Set()).add(a);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/** Context values an operator passes on deploy (sender, SES identity, alarm topic): one extra synth covers them all. */
export const CONFIGURED: StageOverrides = {
  sesFromAddress: 'codes@stepgate.example.org',
  sesIdentityArn: 'arn:aws:ses:us-east-1:123456789012:identity/stepgate.example.org',
  alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:stepgate-alarms',
};
