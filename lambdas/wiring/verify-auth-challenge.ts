import { correlationIds } from '../adapters/powertools-log';
import { stepUpTriggerRuntime } from './step-up-trigger-runtime';

// Clients and configuration are created once per cold start; the handler is the composed trigger.
const { triggers, log } = stepUpTriggerRuntime('verify-auth-challenge');

export const handler = log.handler(triggers.verifyAuthChallengeResponse, correlationIds.cognito);
