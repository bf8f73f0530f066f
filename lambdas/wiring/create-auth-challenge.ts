import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { correlationIds } from '../adapters/powertools-log';
import { SesCodeSender } from '../adapters/ses-code-sender';
import { SnsCodeSender } from '../adapters/sns-code-sender';
import { channelSender } from '../composition/step-up-triggers';
import { requiredEnv } from '../config/env';
import { ENV } from '../contracts/environment';
import { stepUpTriggerRuntime } from './step-up-trigger-runtime';

// Only this trigger sends codes: e-mail through SES v2, SMS through SNS (transactional).
const codeSender = channelSender({
  email: new SesCodeSender(new SESv2Client({}), { fromAddress: requiredEnv(ENV.sesFromAddress) }),
  sms: new SnsCodeSender(new SNSClient({})),
});

const { triggers, log } = stepUpTriggerRuntime('create-auth-challenge', { codeSender });

export const handler = log.handler(triggers.createAuthChallenge, correlationIds.cognito);
