import {
  CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { CognitoConsoleClients } from '../../../lambdas/adapters/cognito-console-clients';

describe('CognitoConsoleClients (DescribeUserPoolClient: the console is the client with the code grant)', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  afterEach(() => cognito.reset());
  const clients = () => new CognitoConsoleClients(new CognitoIdentityProviderClient({ region: 'us-east-1' }));

  beforeEach(() => {
    cognito.on(DescribeUserPoolClientCommand, { ClientId: 'console' }).resolves({
      UserPoolClient: { ClientId: 'console', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'] },
    });
    cognito.on(DescribeUserPoolClientCommand, { ClientId: 'web' }).resolves({
      UserPoolClient: { ClientId: 'web', AllowedOAuthFlowsUserPoolClient: false },
    });
    cognito.on(DescribeUserPoolClientCommand, { ClientId: 'app' }).resolves({
      UserPoolClient: {
        ClientId: 'app',
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
      },
    });
  });

  it('tells the console from the web and app clients, asking about each client once', async () => {
    const c = clients();
    expect(await c.isConsole('pool-1', 'console')).toBe(true);
    expect(await c.isConsole('pool-1', 'web')).toBe(false);
    expect(await c.isConsole('pool-1', 'app')).toBe(false);
    expect(await c.isConsole('pool-1', 'console')).toBe(true);
    const inputs = cognito.commandCalls(DescribeUserPoolClientCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { UserPoolId: 'pool-1', ClientId: 'console' },
      { UserPoolId: 'pool-1', ClientId: 'web' },
      { UserPoolId: 'pool-1', ClientId: 'app' },
    ]);
  });

  it('lets a failed lookup through and asks again next time', async () => {
    cognito
      .on(DescribeUserPoolClientCommand, { ClientId: 'flaky' })
      .rejectsOnce(new Error('ThrottlingException'))
      .resolves({
        UserPoolClient: { ClientId: 'flaky', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'] },
      });
    const c = clients();
    await expect(c.isConsole('pool-1', 'flaky')).rejects.toThrow('ThrottlingException');
    expect(await c.isConsole('pool-1', 'flaky')).toBe(true);
  });
});
