import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolOperation,
  type UserPoolClient,
  type UserPoolDomain,
  type UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ADMIN_GROUP, AUDITOR_GROUP, DECIDE_SCOPE } from '../../lambdas/contracts/identity';
import { ENV, type EnvVarName } from '../../lambdas/contracts/environment';
import { TRIGGER_LAMBDAS } from '../lambda-entries';
import { StepgateFunction } from './stepgate-function';
import type { StepgateTables } from './stepgate-tables';

export type TriggerName = (typeof TRIGGER_LAMBDAS)[number];

export interface StepUpAuthProps {
  /** Names: `<prefix>-users`, `<prefix>-app`, `<prefix>-web`. */
  readonly prefix: string;
  /** STAGE variable of the triggers. */
  readonly stage: string;
  readonly tables: StepgateTables;
  readonly secret: ISecret;
  /** Sender of one-time codes (SES_FROM_ADDRESS); the create trigger may send only as this address. */
  readonly sesFromAddress: string;
  /**
   * SES identity the create trigger may send through.
   * @default the domain identity of sesFromAddress in this account and region
   */
  readonly sesIdentityArn?: string;
  /**
   * Hosted domain prefix for the OAuth token endpoint (client-credentials); globally unique per region.
   * @default `<prefix>-<account id>`
   */
  readonly domainPrefix?: string;
  /**
   * Removal policy of the user pool (it holds the users and their TOTP enrolments).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * @default true
   */
  readonly deletionProtection?: boolean;
  readonly logRetention: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Step-up through Cognito custom auth (docs/step-up.md): the user pool with its five triggers, the groups the admin API
 * checks, the `stepgate/decide` resource server, the confidential app client (client credentials) and the public
 * web client (custom auth, with SRP inside it, and refresh; nothing that skips the sign-in decision). Cognito threat protection stays off: stepgate is the risk engine.
 */
export class StepUpAuth extends Construct {
  readonly userPool: UserPool;
  readonly appClient: UserPoolClient;
  readonly webClient: UserPoolClient;
  readonly resourceServer: UserPoolResourceServer;
  readonly domain: UserPoolDomain;
  readonly triggers: Readonly<Record<TriggerName, StepgateFunction>>;
  /** `iss` of the pool's tokens: what both JWT authorizers check. */
  readonly tokenIssuer: string;

  constructor(scope: Construct, id: string, props: StepUpAuthProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const triggerEnv: Partial<Record<EnvVarName, string>> = {
      [ENV.stage]: props.stage,
      [ENV.sesFromAddress]: props.sesFromAddress,
    };
    const triggers = {} as Record<TriggerName, StepgateFunction>;
    for (const name of TRIGGER_LAMBDAS) {
      triggers[name] = new StepgateFunction(this, pascal(name), {
        name,
        tables: props.tables,
        secret: props.secret,
        environment: triggerEnv,
        logRetention: props.logRetention,
        ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      });
    }
    this.triggers = triggers;
    this.grantCodeSending(triggers['create-auth-challenge'], props);

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-users`,
      // Essentials: needed for access-token customization by the V2 pre token generation trigger.
      featurePlan: FeaturePlan.ESSENTIALS,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      selfSignUpEnabled: false,
      autoVerify: { email: true },
      // Until a new address is verified, codes keep going to the old one: a session alone cannot redirect them.
      keepOriginal: { email: true, phone: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        phoneNumber: { required: false, mutable: true },
      },
      // Cognito's software-token MFA may be enrolled. The step-up itself runs through custom auth, where stepgate
      // offers its own TOTP enrolment (POST /v1/step-up/totp/*) because SMS is a restricted authenticator (NIST SP 800-63B).
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.userPool.addTrigger(UserPoolOperation.DEFINE_AUTH_CHALLENGE, triggers['define-auth-challenge'].fn);
    this.userPool.addTrigger(UserPoolOperation.CREATE_AUTH_CHALLENGE, triggers['create-auth-challenge'].fn);
    this.userPool.addTrigger(UserPoolOperation.VERIFY_AUTH_CHALLENGE_RESPONSE, triggers['verify-auth-challenge'].fn);
    // V2 events let the trigger add claims to the ACCESS token (step_up_id, step_up_acr, step_up_amr, step_up_at; Cognito reserves acr and amr), which is what APIs read.
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      triggers['pre-token-generation'].fn,
      LambdaVersion.V2_0,
    );
    this.userPool.addTrigger(UserPoolOperation.POST_AUTHENTICATION, triggers['post-authentication'].fn);

    this.userPool.addGroup('AdminsGroup', {
      groupName: ADMIN_GROUP,
      description: 'Change stepgate policy, label events, run simulations',
      precedence: 1,
    });
    this.userPool.addGroup('AuditorsGroup', {
      groupName: AUDITOR_GROUP,
      description: 'Read policy, history and the audit trail; export and verify it',
      precedence: 2,
    });

    const [serverId, scopeName] = splitScope(DECIDE_SCOPE);
    const decide = new ResourceServerScope({ scopeName, scopeDescription: 'Ask stepgate for a risk decision' });
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: serverId,
      userPoolResourceServerName: 'stepgate',
      scopes: [decide],
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `${props.prefix}-${Aws.ACCOUNT_ID}` },
    });

    this.appClient = this.userPool.addClient('AppClient', {
      userPoolClientName: `${props.prefix}-app`,
      generateSecret: true,
      // An app backend authenticates as itself, never as a user.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [OAuthScope.resourceServer(this.resourceServer, decide)],
      },
      accessTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    this.webClient = this.userPool.addClient('WebClient', {
      userPoolClientName: `${props.prefix}-web`,
      generateSecret: false,
      // Only flows that run the custom-auth triggers, so every sign-in passes through the risk decision: custom
      // auth (which proves the password with SRP first: CHALLENGE_NAME SRP_A) and refresh. Plain USER_SRP_AUTH and
      // USER_PASSWORD_AUTH would sign in with the password alone, skipping the decision and the step-up.
      authFlows: { custom: true, userSrp: false, userPassword: false, adminUserPassword: false },
      // The SDK drives InitiateAuth / RespondToAuthChallenge directly; no hosted UI, no redirect URLs.
      disableOAuth: true,
      // A custom-auth session must outlive one code (≤ 5 min) but not much more.
      authSessionValidity: Duration.minutes(5),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // Codes go to email / phone_number: a stolen session must not be able to change where they go.
      writeAttributes: new ClientAttributes().withStandardAttributes({ locale: true, timezone: true }),
    });

    this.tokenIssuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;

    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is risk-based, not blanket: stepgate decides per action when a user must step up (OTP by email/SMS or TOTP via custom auth). TOTP can be enrolled (MFA OPTIONAL).',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus plan buys Cognito threat protection, which would duplicate stepgate: the service itself scores every sign-in and step-up on device, geo, velocity and action sensitivity. Essentials is enough for V2 access-token customization.',
      },
    );
  }

  private grantCodeSending(create: StepgateFunction, props: StepUpAuthProps): void {
    const stack = Stack.of(this);
    const domain = props.sesFromAddress.split('@')[1] ?? props.sesFromAddress;
    const identityArn =
      props.sesIdentityArn ?? stack.formatArn({ service: 'ses', resource: 'identity', resourceName: domain });
    create.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [identityArn],
        conditions: { StringEquals: { 'ses:FromAddress': props.sesFromAddress } },
      }),
    );
    // SMS to a phone number has no resource ARN: Publish must be allowed on '*'. Topics are denied, so the function
    // can text a number but cannot post to any topic in the account.
    create.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
    create.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        actions: ['sns:Publish'],
        resources: [`arn:${stack.partition}:sns:*:*:*`],
      }),
    );
    Validations.of(create).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sns:Publish of an SMS to a phone number has no resource to name (SNS direct publish); publishing to topics is explicitly denied. (X-Ray actions also have no resource-level permissions.)',
    });
  }
}

function splitScope(scope: string): [string, string] {
  const [server, name] = scope.split('/');
  if (!server || !name) throw new Error(`scope ${scope} is not <resource server>/<scope>`);
  return [server, name];
}

function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
