import { GetUserCommand, type CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { AccountContacts } from '../ports/account-contacts';

/**
 * Reads the user's attributes with Cognito's GetUser, authorised by the user's own access token (no IAM
 * permission, and only ever the caller's own account).
 */
export class CognitoAccountContacts implements AccountContacts {
  constructor(private readonly cognito: Pick<CognitoIdentityProviderClient, 'send'>) {}

  async hasVerifiedContact(accessToken: string): Promise<boolean> {
    const out = await this.cognito.send(new GetUserCommand({ AccessToken: accessToken }));
    const attributes = new Map((out.UserAttributes ?? []).map((a) => [a.Name, a.Value]));
    const verified = (name: string, flag: string) => Boolean(attributes.get(name)) && attributes.get(flag) === 'true';
    return verified('email', 'email_verified') || verified('phone_number', 'phone_number_verified');
  }
}
