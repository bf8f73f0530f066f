import { stepUpTriggerRuntime } from './step-up-trigger-runtime';

// Clients and configuration are created once per cold start; the handler is the composed trigger.
export const handler = stepUpTriggerRuntime('post-authentication').postAuthentication;
