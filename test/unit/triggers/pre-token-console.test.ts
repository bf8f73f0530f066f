import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { ADMIN_GROUP, AUDITOR_GROUP } from '../../../lambdas/contracts/identity';
import { buildPreTokenGenerationHandler } from '../../../lambdas/handlers/triggers/pre-token-generation';
import type { ConsoleClients } from '../../../lambdas/ports/console-clients';
import { silentLog } from '../../support/recording-log';
import { decisionTokens, POOL, preTokenEvent } from './support';

const CONSOLE = 'console-client';
const REFUSED = 'Sign-in could not be completed. Please start again.';
const STAFF_ONLY = 'The security console is only for members of risk-admins or risk-auditors.';

/** Managed-login and refresh events never reach the approval stores: any call to them is a failure. */
const untouched = {
  claimTokenClaims: () => Promise.reject(new Error('not for this event')),
  claimForTokens: () => Promise.reject(new Error('not for this event')),
};

function handler(consoleClients: ConsoleClients) {
  return buildPreTokenGenerationHandler({
    clock: () => Date.parse('2026-12-03T12:00:00Z'),
    stepUps: untouched,
    approvals: untouched,
    decisionTokens,
    consoleClients,
    log: silentLog,
  });
}

function event(
  triggerSource: 'TokenGeneration_RefreshTokens' | 'TokenGeneration_HostedAuth',
  clientId: string,
  groups: string[],
): PreTokenGenerationV2TriggerEvent {
  const base = preTokenEvent();
  return {
    ...base,
    triggerSource,
    callerContext: { ...base.callerContext, clientId },
    request: { ...base.request, groupConfiguration: { groupsToOverride: groups, iamRolesToOverride: [] } },
  };
}

describe('Pre token generation for the security console', () => {
  const asked: string[] = [];
  const consoleOnly: ConsoleClients = {
    isConsole: (pool, clientId) => {
      asked.push(`${pool}/${clientId}`);
      return Promise.resolve(clientId === CONSOLE);
    },
  };
  beforeEach(() => (asked.length = 0));

  it('refuses a console refresh once the user is in no staff group, so a removal ends console access', async () => {
    await expect(handler(consoleOnly)(event('TokenGeneration_RefreshTokens', CONSOLE, []))).rejects.toThrow(STAFF_ONLY);
    await expect(
      handler(consoleOnly)(event('TokenGeneration_RefreshTokens', CONSOLE, ['some-other-group'])),
    ).rejects.toThrow(STAFF_ONLY);
    expect(asked).toEqual([`${POOL.userPoolId}/${CONSOLE}`, `${POOL.userPoolId}/${CONSOLE}`]);
  });

  it('refreshes console tokens for staff, and web-client tokens for anyone', async () => {
    for (const group of [ADMIN_GROUP, AUDITOR_GROUP]) {
      const out = await handler(consoleOnly)(event('TokenGeneration_RefreshTokens', CONSOLE, [group]));
      expect(out.response).toEqual({ claimsAndScopeOverrideDetails: null });
    }
    const web = await handler(consoleOnly)(event('TokenGeneration_RefreshTokens', POOL.clientId, []));
    expect(web.response).toEqual({ claimsAndScopeOverrideDetails: null });
  });

  it('allows managed login on the console client only, and only for staff', async () => {
    await expect(
      handler(consoleOnly)(event('TokenGeneration_HostedAuth', CONSOLE, [ADMIN_GROUP])),
    ).resolves.toBeDefined();
    await expect(handler(consoleOnly)(event('TokenGeneration_HostedAuth', CONSOLE, []))).rejects.toThrow(STAFF_ONLY);
    await expect(
      handler(consoleOnly)(event('TokenGeneration_HostedAuth', POOL.clientId, [ADMIN_GROUP])),
    ).rejects.toThrow(REFUSED);
  });

  it('fails closed when it cannot tell which client it is', async () => {
    const broken: ConsoleClients = { isConsole: () => Promise.reject(new Error('ThrottlingException')) };
    await expect(handler(broken)(event('TokenGeneration_RefreshTokens', POOL.clientId, []))).rejects.toThrow(REFUSED);
    await expect(handler(broken)(event('TokenGeneration_HostedAuth', CONSOLE, [ADMIN_GROUP]))).rejects.toThrow(REFUSED);
  });
});
