import { Annotations, Tags, Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PLACEHOLDER_SES_FROM_ADDRESS, type StageConfig } from './stage-config';
import { StatefulStack } from './stacks/stateful-stack';
import { StatelessStack } from './stacks/stateless-stack';

export interface StepgateStacks {
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

export interface BuildOptions {
  readonly env?: Environment;
  /**
   * Register the cdk-nag packs (AwsSolutions, Serverless) as validation plugins: any violation fails synth.
   * @default true
   */
  readonly nag?: boolean;
}

/** Stack names: `stepgate-<stage>-stateful`, `stepgate-<stage>-stateless`. */
export function buildStepgate(app: App, config: StageConfig, options: BuildOptions = {}): StepgateStacks {
  const env = options.env;
  const stateful = new StatefulStack(app, `${config.prefix}-stateful`, {
    config,
    description: `stepgate ${config.stage}: tables, key, secret, user pool and Cognito triggers`,
    ...(env ? { env } : {}),
  });
  const stateless = new StatelessStack(app, `${config.prefix}-stateless`, {
    config,
    stateful,
    description: `stepgate ${config.stage}: decision and admin API, functions, alarms`,
    ...(env ? { env } : {}),
  });
  // Cost allocation and ownership, on every taggable resource of both stacks.
  for (const stack of [stateful, stateless]) {
    Tags.of(stack).add('project', 'stepgate');
    Tags.of(stack).add('stage', config.stage);
  }
  if (config.sesFromAddress === PLACEHOLDER_SES_FROM_ADDRESS) {
    Annotations.of(stateful).addWarningV2(
      'stepgate:sesFromAddress',
      `sesFromAddress is the placeholder ${PLACEHOLDER_SES_FROM_ADDRESS}: email codes will not send. Deploy with -c sesFromAddress=<verified sender>.`,
    );
  }
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  }
  return { stateful, stateless };
}
