/**
 * Names that the deployed stack, the Lambda handlers and the local runtime must agree on: the user-pool groups that
 * may read or change risk settings, and the OAuth scope app backends need to ask for decisions. Defined here once;
 * CDK, handlers, local emulator and tests import them from this module.
 */

/** May change the policy, approve changes, label events (and read everything auditors read). */
export const ADMIN_GROUP = 'risk-admins';
/** May read policy, history and the audit trail; changes nothing. */
export const AUDITOR_GROUP = 'risk-auditors';
/** Groups that may read audit and personal data. */
export const READER_GROUPS = [AUDITOR_GROUP, ADMIN_GROUP] as const;
/** Groups that may change risk settings. */
export const CHANGER_GROUPS = [ADMIN_GROUP] as const;

/** The resource-server scope of the decision API (client-credentials tokens of app backends). */
export const DECIDE_SCOPE = 'stepgate/decide';
