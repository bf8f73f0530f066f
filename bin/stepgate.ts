#!/usr/bin/env node
/**
 * CDK app entry (cdk.json: `npx tsx bin/stepgate.ts`). The only place that reads CDK context and the environment
 * for infrastructure; everything below receives plain props.
 *
 *   npx cdk synth -c stage=dev|prod [-c sesFromAddress=codes@example.org] [-c sesIdentityArn=arn:aws:ses:...]
 *                 [-c alarmTopicArn=arn:aws:sns:...] [-c authDomainPrefix=my-unique-prefix]
 *                 [-c networkDataFile=asn.bin] [-c networkDataS3=s3://bucket/key.zip [-c networkDataS3Version=...]]
 */
import { App } from 'aws-cdk-lib';
import { buildStepgate } from '../lib/stepgate-app';
import { isStageName, stageConfig, STAGES, type StageOverrides } from '../lib/stage-config';

const app = new App();

function context(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`context ${key} must be a string`);
  return value;
}

const stage = context('stage') ?? 'dev';
if (!isStageName(stage)) {
  throw new Error(`-c stage=${stage}: expected one of ${STAGES.join(', ')}`);
}

function networkData(): StageOverrides['networkData'] {
  const file = context('networkDataFile');
  const s3 = context('networkDataS3');
  const objectVersion = context('networkDataS3Version');
  const where = s3 ? /^s3:\/\/([^/]+)\/(.+)$/.exec(s3) : undefined;
  if (s3 && !where) throw new Error(`-c networkDataS3=${s3}: expected s3://bucket/key`);
  if (!file && !where) return undefined;
  return {
    ...(file ? { file } : {}),
    ...(where ? { s3: { bucket: where[1]!, key: where[2]!, ...(objectVersion ? { objectVersion } : {}) } } : {}),
  };
}

const overrides: StageOverrides = {
  ...(context('sesFromAddress') ? { sesFromAddress: context('sesFromAddress') } : {}),
  ...(context('sesIdentityArn') ? { sesIdentityArn: context('sesIdentityArn') } : {}),
  ...(context('alarmTopicArn') ? { alarmTopicArn: context('alarmTopicArn') } : {}),
  ...(context('authDomainPrefix') ? { authDomainPrefix: context('authDomainPrefix') } : {}),
  ...(networkData() ? { networkData: networkData() } : {}),
};

// No lookups: the account may be unknown (offline synth); the region defaults so ARNs and the issuer resolve.
buildStepgate(app, stageConfig(stage, overrides), {
  env: {
    ...(process.env.CDK_DEFAULT_ACCOUNT ? { account: process.env.CDK_DEFAULT_ACCOUNT } : {}),
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  },
});
