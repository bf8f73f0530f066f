/**
 * The API's shapes as the console reads them: imported as types from the handlers' own contracts, so the console
 * cannot drift from what the API sends.
 */
export type {
  DiffResponse,
  EventView,
  FeedbackResponse,
  PendingResponse,
  PendingView,
  PolicyResponse,
  PutPolicyResponse,
  ReplayChunkResponse,
  ShadowReportResponse,
  ShadowStatusResponse,
  UserEventsResponse,
  VersionsResponse,
} from '../../lambdas/handlers/admin/responses';
export type {
  DecisionStreamResponse,
  OverviewResponse,
  UserProfileResponse,
} from '../../lambdas/handlers/admin/console-responses';
export type { Reason } from '../../lambdas/core/risk/types';
export type { SimulationReport } from '../../lambdas/core/simulation/simulation';
export type { AuditVerificationSummary } from '../../lambdas/ports/audit-log';
