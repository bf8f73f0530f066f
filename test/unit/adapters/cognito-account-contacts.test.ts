import { CognitoIdentityProviderClient, GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { CognitoAccountContacts } from '../../../lambdas/adapters/cognito-account-contacts';

describe('CognitoAccountContacts (GetUser with the caller’s own access token)', () => {
  const cognito = mockClient(CognitoIdentityProviderClient);
  afterEach(() => cognito.reset());
  const contacts = () => new CognitoAccountContacts(new CognitoIdentityProviderClient({ region: 'us-east-1' }));
  const attrs = (pairs: Record<string, string>) => Object.entries(pairs).map(([Name, Value]) => ({ Name, Value }));

  it.each<[string, Record<string, string>, boolean]>([
    ['a verified e-mail', { email: 'a@example.com', email_verified: 'true' }, true],
    ['a verified phone', { phone_number: '+4712345678', phone_number_verified: 'true' }, true],
    ['an unverified e-mail', { email: 'a@example.com', email_verified: 'false' }, false],
    ['a verified flag without an address', { email_verified: 'true', phone_number_verified: 'true' }, false],
    ['no contact at all', { sub: 'x' }, false],
  ])('says whether the account has %s', async (_name, pairs, expected) => {
    cognito.on(GetUserCommand).resolves({ Username: 'alice', UserAttributes: attrs(pairs) });
    expect(await contacts().hasVerifiedContact('the-token')).toBe(expected);
    expect(cognito.commandCalls(GetUserCommand)[0]?.args[0].input).toEqual({ AccessToken: 'the-token' });
  });

  it('lets a failure through, so the caller keeps the step-up required', async () => {
    cognito.on(GetUserCommand).rejects(new Error('NotAuthorizedException'));
    await expect(contacts().hasVerifiedContact('the-token')).rejects.toThrow('NotAuthorizedException');
  });
});
