import { Match } from 'aws-cdk-lib/assertions';
import { DECIDE_SCOPE } from '../../../lambdas/contracts/routes';
import { ADMIN_GROUP, AUDITOR_GROUP } from '../../../lambdas/local/local-identities';
import { TRIGGER_LAMBDAS } from '../../../lib/lambda-entries';
import { logicalId, synthStage } from '../support/synth';

describe.each(['dev', 'prod'] as const)('Cognito step-up auth (%s)', (stage) => {
  const s = synthStage(stage);
  const t = s.statefulTemplate;
  const auth = s.stateful.auth;
  const arnOf = (name: (typeof TRIGGER_LAMBDAS)[number]) => ({
    'Fn::GetAtt': [logicalId(auth.triggers[name].fn), 'Arn'],
  });
  type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string };
  const pool = (): Resource => t.toJSON().Resources[logicalId(auth.userPool)] as Resource;

  it('wires the five triggers, pre token generation as a V2 event', () => {
    expect(pool().Properties.LambdaConfig).toEqual({
      DefineAuthChallenge: arnOf('define-auth-challenge'),
      CreateAuthChallenge: arnOf('create-auth-challenge'),
      VerifyAuthChallengeResponse: arnOf('verify-auth-challenge'),
      PreTokenGenerationConfig: { LambdaArn: arnOf('pre-token-generation'), LambdaVersion: 'V2_0' },
      PostAuthentication: arnOf('post-authentication'),
    });
  });

  it('lets only this pool invoke each trigger', () => {
    for (const name of TRIGGER_LAMBDAS) {
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(name),
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [logicalId(auth.userPool), 'Arn'] },
      });
    }
  });

  it('is on the Essentials plan (access-token customization), email sign-in, TOTP allowed, threat protection off', () => {
    const p = pool().Properties;
    expect(p.UserPoolTier).toBe('ESSENTIALS');
    expect(p.UsernameAttributes).toEqual(['email']);
    expect(p.MfaConfiguration).toBe('OPTIONAL');
    expect(p.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(p.UserPoolAddOns).toBeUndefined();
    expect(p.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
  });

  it('keeps the pool in prod (deletion protection, retain) and lets dev tear it down', () => {
    expect(pool().Properties.DeletionProtection).toBe(stage === 'prod' ? 'ACTIVE' : 'INACTIVE');
    expect(pool().DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
  });

  it('sets preventUserExistenceErrors on every client', () => {
    const clients = Object.values(t.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(2);
    for (const c of clients) expect(c.Properties.PreventUserExistenceErrors).toBe('ENABLED');
  });

  it('declares the stepgate resource server with the decide scope', () => {
    const [server, scope] = DECIDE_SCOPE.split('/');
    t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: server,
      Scopes: [Match.objectLike({ ScopeName: scope })],
    });
  });

  it('has a confidential app client limited to client credentials and stepgate/decide', () => {
    const c = t.toJSON().Resources[logicalId(auth.appClient)].Properties;
    expect(c.GenerateSecret).toBe(true);
    expect(c.AllowedOAuthFlows).toEqual(['client_credentials']);
    expect(c.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(c.AllowedOAuthScopes).toEqual([{ 'Fn::Join': ['', [{ Ref: logicalId(auth.resourceServer) }, '/decide']] }]);
    expect(c.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it('has a public web client whose only flows pass through the sign-in decision, that cannot change where codes are sent', () => {
    const c = t.toJSON().Resources[logicalId(auth.webClient)].Properties;
    expect(c.GenerateSecret).toBe(false);
    // Custom auth (SRP runs inside it) and refresh: no USER_SRP_AUTH or USER_PASSWORD_AUTH, which run no trigger.
    expect([...c.ExplicitAuthFlows].sort()).toEqual(['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    expect(c.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(c.AuthSessionValidity).toBeLessThanOrEqual(5);
    expect(c.WriteAttributes).not.toContain('email');
    expect(c.WriteAttributes).not.toContain('phone_number');
  });

  it('deploys no client that signs a user in without the decision, and never the local-only script client', () => {
    const bypass = [
      'ALLOW_USER_SRP_AUTH',
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_ADMIN_USER_PASSWORD_AUTH',
      'ALLOW_USER_AUTH',
    ];
    for (const template of [t, s.statelessTemplate]) {
      for (const c of Object.values(template.findResources('AWS::Cognito::UserPoolClient'))) {
        const flows = (c.Properties.ExplicitAuthFlows ?? []) as string[];
        expect(flows.filter((f) => bypass.includes(f))).toEqual([]);
        expect(String(c.Properties.ClientName)).not.toMatch(/script/i);
      }
    }
    expect(JSON.stringify(t.toJSON())).not.toContain('local-script');
    expect(JSON.stringify(s.statelessTemplate.toJSON())).not.toContain('local-script');
  });

  it('creates the risk-admins and risk-auditors groups', () => {
    for (const group of [ADMIN_GROUP, AUDITOR_GROUP]) {
      t.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    }
  });

  it('hosts a token endpoint domain for client credentials', () => {
    t.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
  });

  it('keeps the application secret in Secrets Manager, encrypted with the key, filled in by the seeder', () => {
    const secret = logicalId(s.stateful.secrets.secret);
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [logicalId(s.stateful.tables.key), 'Arn'] },
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'decisionTokenKey' }),
    });
    t.hasResourceProperties('Custom::StepgateAppSecretSeed', {
      SecretArn: { Ref: secret },
      Keys: ['decisionTokenKey', 'otpPepper', 'pseudonymKey', 'cursorKey'],
    });
  });
});
