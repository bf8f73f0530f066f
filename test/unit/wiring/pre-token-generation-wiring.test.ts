import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Context, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../../lambdas/contracts/environment';
import { preTokenEvent } from '../triggers/support';

/**
 * The deployed pre token generation Lambda, as its wiring file builds it: a console refresh must re-check the
 * staff groups there, not only in the local runtime (which knows the console's client id).
 */
describe('pre token generation wiring (the deployed Lambda entry)', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  const saved = { ...process.env };

  beforeAll(() => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      [ENV.riskTable]: 'test-risk',
      [ENV.auditTable]: 'test-audit',
      [ENV.secretsArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:test',
      [ENV.stage]: 'dev',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
  });
  afterAll(() => {
    process.env = saved;
    cognito.restore();
  });

  it("refuses a refresh through the console's client for someone no longer in a staff group", async () => {
    cognito.on(DescribeUserPoolClientCommand).resolves({
      UserPoolClient: { ClientId: 'console', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'] },
    });
    const { handler } = (await import('../../../lambdas/wiring/pre-token-generation')) as {
      handler: (event: PreTokenGenerationV2TriggerEvent, context: Context) => Promise<unknown>;
    };
    const base = preTokenEvent();
    const refresh = {
      ...base,
      triggerSource: 'TokenGeneration_RefreshTokens',
      callerContext: { ...base.callerContext, clientId: 'console' },
    } as PreTokenGenerationV2TriggerEvent;
    const context = { awsRequestId: 'req-1', functionName: 'pre-token-generation' } as Context;
    await expect(handler(refresh, context)).rejects.toThrow(/only for members of risk-admins or risk-auditors/);
    expect(cognito.commandCalls(DescribeUserPoolClientCommand)[0]?.args[0].input).toEqual({
      UserPoolId: base.userPoolId,
      ClientId: 'console',
    });
  });
});
