import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing, type ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import {
  NodejsFunction,
  OutputFormat,
  LogLevel,
  type BundlingOptions,
  type ICommandHooks,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TABLE_DEFINITIONS, type TableRole } from '../../lambdas/contracts/tables';
import { ENV, NETWORK_DATA_BUNDLE_PATH, type EnvVarName } from '../../lambdas/contracts/environment';
import { METRICS } from '../../lambdas/contracts/metrics';
import { LAMBDA_ENTRIES, type LambdaEntry, type LambdaName, type TableAccess } from '../lambda-entries';
import type { StepgateTables } from './stepgate-tables';
import {
  BUNDLED_LICENCE_FILES,
  bundledPackage,
  ensureBundledAsnTable,
} from '../../tools/network-data/ip-location-db-asn';

/** The repository root: wiring entries and the lock file are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Lambda's Node.js 24 runtime (arm64). */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/**
 * Everything geoip-lite 1.4.10 loads at run time, relative to its package directory: lib/geoip.js requires only
 * node built-ins, ./utils, ./fsWatcher and `async`, and reads the five .dat files from ../data at import. `async`
 * 2.x's main (dist/async.js) is a self-contained UMD build, so lodash is not needed.
 */
const GEOIP_FILES = ['package.json', 'LICENSE', 'lib/geoip.js', 'lib/utils.js', 'lib/fsWatcher.js'];
const GEOIP_DATA_GLOB = 'data/*.dat';
const ASYNC_FILES = ['package.json', 'LICENSE', 'dist/async.js'];

function packageDir(name: string, from: string): string {
  return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
}

/**
 * Copies geoip-lite and its runtime dependency from this repository's node_modules next to the bundle, offline
 * (`nodeModules: ['geoip-lite']` would run `npm install` in the bundle directory: network, and slow). Paths are
 * relative to the bundling input dir, so the same commands work for local and Docker bundling.
 */
export function geoipCommandHooks(projectRoot: string = PROJECT_ROOT): ICommandHooks {
  const geoipDir = packageDir('geoip-lite', projectRoot);
  // Resolve `async` the way geoip-lite's own require would (nested copy first, then hoisted).
  const asyncDir = packageDir('async', geoipDir);
  const rel = (p: string) => path.relative(projectRoot, p).split(path.sep).join('/');
  const copy = (srcPkg: string, dstPkg: string, files: readonly string[], inputDir: string, outputDir: string) => {
    const src = `${inputDir}/${rel(srcPkg)}`;
    const dst = `${outputDir}/node_modules/${dstPkg}`;
    const dirs = [...new Set(files.map((f) => path.posix.dirname(f)))].map((d) => `"${dst}/${d}"`);
    return [`mkdir -p ${dirs.join(' ')}`, ...files.map((f) => `cp "${src}/${f}" "${dst}/${f}"`)];
  };
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => [
      ...copy(geoipDir, 'geoip-lite', GEOIP_FILES, inputDir, outputDir),
      `mkdir -p "${outputDir}/node_modules/geoip-lite/data"`,
      `cp "${inputDir}/${rel(geoipDir)}/"${GEOIP_DATA_GLOB} "${outputDir}/node_modules/geoip-lite/data/"`,
      ...copy(asyncDir, 'async', ASYNC_FILES, inputDir, outputDir),
    ],
  };
}

/**
 * Copies the ASN table next to the bundle ({@link NETWORK_DATA_BUNDLE_PATH}), as geoip-lite's data is: the given
 * file, or the table built from the installed `@ip-location-db/asn` (built here on first use, when bundling
 * actually runs: synths that skip bundling, like the infrastructure tests, never pay for it).
 */
export function networkDataCommands(
  inputDir: string,
  outputDir: string,
  projectRoot: string = PROJECT_ROOT,
  file?: string,
): string[] {
  const at = (p: string) => {
    const rel = path.relative(projectRoot, p);
    return rel.startsWith('..') || path.isAbsolute(rel) ? p : `${inputDir}/${rel.split(path.sep).join('/')}`;
  };
  const to = `${outputDir}/${NETWORK_DATA_BUNDLE_PATH}`;
  const dir = path.posix.dirname(to);
  if (file) return [`mkdir -p "${dir}"`, `cp "${at(path.resolve(projectRoot, file))}" "${to}"`];
  // CC BY 4.0: the data travels with its licences and the note of what was changed.
  const pkg = bundledPackage();
  return [
    `mkdir -p "${dir}"`,
    `cp "${at(ensureBundledAsnTable())}" "${to}"`,
    ...BUNDLED_LICENCE_FILES.map((f) => `cp "${at(path.join(pkg.dir, f))}" "${dir}/${f}"`),
  ];
}

/**
 * esbuild options shared by every function (and by the bundling test). The AWS SDK v3 clients are bundled rather
 * than taken from the runtime: the deployed code then runs exactly the versions the tests ran, and esbuild keeps
 * only the clients used. Local esbuild only: no Docker on build machines. Functions that locate addresses (`geoip`)
 * get geoip-lite and the ASN table (`networkDataFile`, default: built from the installed package) beside the bundle.
 */
export function bundlingOptions(
  geoip: boolean,
  projectRoot: string = PROJECT_ROOT,
  networkDataFile?: string,
): BundlingOptions {
  const geoipHooks = geoipCommandHooks(projectRoot);
  return {
    forceDockerBundling: false,
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    format: OutputFormat.CJS,
    logLevel: LogLevel.WARNING,
    externalModules: geoip ? ['geoip-lite'] : [],
    ...(geoip
      ? {
          commandHooks: {
            ...geoipHooks,
            afterBundling: (inputDir: string, outputDir: string) => [
              ...geoipHooks.afterBundling(inputDir, outputDir),
              ...networkDataCommands(inputDir, outputDir, projectRoot, networkDataFile),
            ],
          },
        }
      : {}),
  };
}

export interface StepgateFunctionProps {
  /** A key of LAMBDA_ENTRIES, or the name of an infrastructure helper that passes its own `spec`. */
  readonly name: LambdaName | (string & {});
  /**
   * The function's contract.
   * @default LAMBDA_ENTRIES[name]
   */
  readonly spec?: LambdaEntry;
  /** Required when the spec lists table access. */
  readonly tables?: StepgateTables;
  /** Application secret (SECRETS_ARN); required when the spec reads it or lists SECRETS_ARN. */
  readonly secret?: ISecret;
  /** Values of variables the stack knows (STAGE, USER_POOL_ID, ...). Table names and SECRETS_ARN are filled in here. */
  readonly environment?: Partial<Record<EnvVarName, string>>;
  /** Retention of the function's log group. */
  readonly logRetention: RetentionDays;
  /**
   * Removal policy of the function's log group.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Why the function needs no dead-letter queue (cdk-nag Serverless-LambdaDLQ).
   * @default invoked synchronously by API Gateway or Cognito
   */
  readonly noDeadLetterReason?: string;
  /**
   * Repository root holding the entry and package-lock.json.
   * @default PROJECT_ROOT
   */
  readonly projectRoot?: string;
  /** Where a function that locates addresses (spec `geoip`) gets its ASN table. */
  readonly networkData?: NetworkDataProps;
}

export interface NetworkDataProps {
  /**
   * A table built with `stepgate network build` to ship in the bundle.
   * @default the table built from the installed `@ip-location-db/asn`
   */
  readonly file?: string;
  /**
   * A layer holding a table at `network/asn.bin`: the function reads that copy (`/opt/network/asn.bin`) instead of
   * the one in its bundle, so operators refresh the data monthly without rebuilding the code.
   */
  readonly layer?: ILayerVersion;
}

/**
 * One stepgate Lambda: Node.js 24 on arm64, bundled locally with esbuild, X-Ray active, JSON logs into its own log
 * group, and a role that holds exactly the table actions its LAMBDA_ENTRIES spec lists (no managed policies).
 */
export class StepgateFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly spec: LambdaEntry;

  constructor(scope: Construct, id: string, props: StepgateFunctionProps) {
    super(scope, id);
    const spec = props.spec ?? (isLambdaName(props.name) ? LAMBDA_ENTRIES[props.name] : undefined);
    if (!spec) throw new Error(`${props.name}: not in LAMBDA_ENTRIES and no spec given`);
    this.spec = spec;
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `stepgate ${props.name}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every group): write to this function's group only.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const environment = this.environment(props, spec);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, spec.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: spec.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      role: this.role,
      environment,
      bundling: bundlingOptions(spec.geoip, projectRoot, props.networkData?.file),
      ...(spec.geoip && props.networkData?.layer ? { layers: [props.networkData.layer] } : {}),
    });

    const tableAccess = Object.entries(spec.tables) as [TableRole, TableAccess][];
    if (tableAccess.length > 0) {
      const tables = required(props.tables, `${props.name}: tables`);
      for (const [role, access] of tableAccess) this.grantTable(role, access, tables);
      // Tables use a customer-managed key: item reads and writes need these on it, and only through DynamoDB.
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [tables.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    if (spec.readsSecret) {
      const secret = required(props.secret, `${props.name}: secret`);
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
      );
      if (secret.encryptionKey) {
        // A secret under a customer-managed key is unreadable without Decrypt on it, even for a function that
        // touches no table (define); only through Secrets Manager.
        this.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [secret.encryptionKey.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
          }),
        );
      }
    }

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; every other statement names its table, index, key, secret or log group.',
    });
    Validations.of(this.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        props.noDeadLetterReason ??
        'Invoked synchronously only (API Gateway or Cognito): the caller receives the error; there is no asynchronous event to dead-letter.',
    });
  }

  private environment(props: StepgateFunctionProps, spec: LambdaEntry): Record<string, string> {
    const known: Partial<Record<EnvVarName, string>> = {
      ...(props.tables
        ? {
            [ENV.riskTable]: props.tables.risk.tableName,
            [ENV.auditTable]: props.tables.audit.tableName,
            [ENV.policyTable]: props.tables.policy.tableName,
          }
        : {}),
      ...(props.secret ? { [ENV.secretsArn]: props.secret.secretArn } : {}),
      [ENV.networkDataFile]: props.networkData?.layer ? `/opt/${NETWORK_DATA_BUNDLE_PATH}` : NETWORK_DATA_BUNDLE_PATH,
      [ENV.powertoolsServiceName]: METRICS.serviceName,
      [ENV.powertoolsMetricsNamespace]: METRICS.namespace,
      ...props.environment,
    };
    // Stack traces in logs point at the TypeScript source (the bundle ships its .map).
    const env: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps' };
    for (const name of spec.env) {
      const value = known[name];
      if (value === undefined) {
        throw new Error(`${props.name}: no value for environment variable ${name} (see lib/lambda-entries.ts)`);
      }
      env[name] = value;
    }
    return env;
  }

  private grantTable(role: TableRole, access: TableAccess, tables: StepgateTables): void {
    const table = tables.table(role);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: access.actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
      }),
    );
    const indexes = access.indexes ?? [];
    if (indexes.length === 0) return;
    if (!access.actions.includes('Query')) throw new Error(`${this.node.path}: index access on ${role} needs Query`);
    const known = TABLE_DEFINITIONS[role].indexes.map((i) => i.indexName) as readonly string[];
    for (const index of indexes) {
      if (!known.includes(index)) throw new Error(`${this.node.path}: ${role} has no index ${index}`);
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((i) => `${table.tableArn}/index/${i}`),
      }),
    );
  }
}

function isLambdaName(name: string): name is LambdaName {
  return Object.prototype.hasOwnProperty.call(LAMBDA_ENTRIES, name);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is required by the function's spec`);
  return value;
}
