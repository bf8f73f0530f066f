import type { RecordedEvent } from '../../ports/admin-event-store';
import type { EventView } from './responses';

/** A recorded decision as an investigator reads it: the request context it was scored on, in readable form. */
export function eventView(e: RecordedEvent): EventView {
  const f = e.features;
  return {
    decisionId: e.decisionId,
    at: new Date(e.at).toISOString(),
    userId: e.userId,
    action: e.action,
    decision: e.decision,
    score: e.score,
    policyVersion: e.policyVersion,
    reasons: e.reasons,
    clientId: e.clientId,
    context: {
      ip: f.ip,
      ...(f.deviceId ? { deviceId: f.deviceId } : {}),
      ...(f.geo.country ? { country: f.geo.country } : {}),
      ...(f.geo.region ? { region: f.geo.region } : {}),
      ...(f.geo.city ? { city: f.geo.city } : {}),
      ...(f.device.uaFamily ? { browser: [f.device.uaFamily, f.device.browserMajor].filter(Boolean).join(' ') } : {}),
      ...(f.device.os ? { os: f.device.os } : {}),
      deviceType: f.device.deviceType,
    },
    ...(e.outcome ? { outcome: e.outcome } : {}),
    ...(e.feedback ? { feedback: e.feedback } : {}),
    ...(e.shadow ? { shadow: e.shadow } : {}),
    replayable: e.replayable,
  };
}
