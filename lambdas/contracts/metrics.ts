/**
 * Metrics the functions emit with Powertools (EMF) and the CDK alarms read, named once for both. Powertools adds the
 * default dimension `service` = POWERTOOLS_SERVICE_NAME to every metric; the alarms match exactly `{service}` or
 * `{service, Decision}`, so handlers must not add other dimensions to these metrics (use metadata for extra context).
 */
export const METRICS = {
  namespace: 'Stepgate',
  /** Also the `service` of every log line. */
  serviceName: 'stepgate',
  serviceDimension: 'service',
  /** Count, dimension {@link METRICS.decisionDimension} = allow | step_up | deny. Emitted by decide. */
  decisions: 'Decisions',
  decisionDimension: 'Decision',
  /** Count of decisions made without the store (fail closed: step_up or deny). Emitted by decide. */
  decisionsFailedClosed: 'DecisionsFailedClosed',
  /** Count of wrong or unverifiable step-up answers. Emitted by the verify trigger. */
  verificationFailed: 'VerificationFailed',
  /** Count of audit records that could not be appended. Emitted by any function that audits. */
  auditWriteFailed: 'AuditWriteFailed',
  /** Days since the date of the ASN data a cold-started decide loaded (one data point per cold start). */
  networkDataAgeDays: 'NetworkDataAgeDays',
} as const;
