import {
  DescribeUserPoolClientCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { ConsoleClients } from '../ports/console-clients';

/** Most app clients remembered; a pool has a handful, so this only bounds a flood of made-up ids. */
const MAX_REMEMBERED = 64;

/**
 * The console is the pool's only client with the authorization-code grant (managed login with PKCE; the
 * infrastructure tests assert no other client has it), so a client is the console when Cognito says it is an
 * OAuth client allowed the `code` flow. Asking Cognito, rather than being told the console's client id, is what
 * lets the deployed trigger know it: the trigger is part of the user pool, which exists before the console's
 * client, so the client id cannot be handed to the trigger's environment without a dependency cycle.
 *
 * Answers are kept for the life of the function instance (a client's grants are fixed at deployment); a failed
 * lookup is not kept, and rejects, so the trigger refuses the tokens and the next call asks again.
 */
export class CognitoConsoleClients implements ConsoleClients {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(private readonly cognito: Pick<CognitoIdentityProviderClient, 'send'>) {}

  isConsole(userPoolId: string, clientId: string): Promise<boolean> {
    const key = `${userPoolId}/${clientId}`;
    const cached = this.known.get(key);
    if (cached) return cached;
    const answer = this.lookUp(userPoolId, clientId);
    if (this.known.size >= MAX_REMEMBERED) this.known.clear();
    this.known.set(key, answer);
    answer.catch(() => this.known.delete(key));
    return answer;
  }

  private async lookUp(userPoolId: string, clientId: string): Promise<boolean> {
    const out = await this.cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }),
    );
    const client = out.UserPoolClient;
    return client?.AllowedOAuthFlowsUserPoolClient === true && (client.AllowedOAuthFlows ?? []).includes('code');
  }
}
