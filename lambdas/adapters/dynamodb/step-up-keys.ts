/**
 * Risk-table keys of the step-up ceremony (the pending step-up itself is `keys.stepUp` in risk-keys.ts).
 * Challenges get their own partition: they are read and counted by id only. The failure budget and the TOTP
 * enrolment sit under the Cognito user's `USER#` partition, next to (but never colliding with) `PROFILE`, which is
 * keyed by the decision API's user id.
 */
export const stepUpKeys = {
  challenge: (challengeId: string) => ({ pk: `CHALLENGE#${challengeId}`, sk: 'CHALLENGE' }),
  failureBudget: (userId: string) => ({ pk: `USER#${userId}`, sk: 'STEPUP#FAILURES' }),
  totp: (userId: string) => ({ pk: `USER#${userId}`, sk: 'STEPUP#TOTP' }),
  /** Define Auth Challenge's approval of one finished session, by the decision or step-up it named. */
  approval: (kind: string, id: string) => ({ pk: `APPROVAL#${kind}#${id}`, sk: 'APPROVAL' }),
  /** An enrolment awaiting its first code, beside the active one it may replace. */
  totpPending: (userId: string) => ({ pk: `USER#${userId}`, sk: 'STEPUP#TOTP#PENDING' }),
};
