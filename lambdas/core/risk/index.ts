/** Public surface of the pure risk engine. */
export * from './types';
export { REASON_CODES, type ReasonCode } from './reason-codes';
export { evaluate, buildSignalContext, decisionRank, riskLevelOf, RISK_LEVEL_BOUNDS } from './engine';
export { learn, newlyTrusted, recordFailure, DEFAULT_LEARNING, PROFILE_LIMITS, type LearnHow } from './learning';
export { contextKeys, type ContextKeys } from './context-keys';
export { failClosed } from './fail-closed';
export { wwwAuthenticate, DEFAULT_STEP_UP_DESCRIPTION } from './www-authenticate';
export { acrSatisfies, checkGrant, grantWindowSeconds, SINGLE_USE_GRANT_WINDOW_SECONDS } from './grant';
export { haversineKm } from './signals/geo';
