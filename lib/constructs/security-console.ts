import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { DefaultStackSynthesizer, DockerImage, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  OAuthScope,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  type CfnUserPoolClient,
  type IUserPool,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source, type ISource } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_PATH, consoleHeaderPolicy } from '../../lambdas/contracts/console-headers';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The scopes the console asks the managed login for (the local console client asks for the same). */
export const CONSOLE_SCOPES = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE];

export interface SecurityConsoleProps {
  /** Names: `<prefix>-console` (app client). */
  readonly prefix: string;
  /** The user pool staff sign in to (managed login on its domain). */
  readonly userPool: IUserPool;
  readonly domain: UserPoolDomain;
  /** The HTTP API whose admin and audit routes CloudFront serves beside the console, on the same origin. */
  readonly api: HttpApi;
  /** Removal policy of the two buckets (the built files and CloudFront's access logs). */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Files of the built console (`npm run build:console` writes console/dist).
   * @default the console built by Vite at synth time (skipped, like every bundling, when a stack is not bundled)
   */
  readonly source?: ISource;
  /** Days CloudFront's and the bucket's access logs are kept. */
  readonly accessLogDays: number;
}

/**
 * The security console in AWS: its static files in a private S3 bucket that only this CloudFront distribution can
 * read (origin access control), the admin API on the same origin under /v1/admin/ (so the page's
 * Content-Security-Policy allows `connect-src 'self'` plus the user pool's token endpoint, nothing more), the
 * security headers the local runtime also sends (one definition in lambdas/contracts/console-headers.ts), and its own
 * public Cognito app client: authorization code with PKCE on managed login, no secret, no InitiateAuth flow.
 */
export class SecurityConsole extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly client: UserPoolClient;
  readonly headers: ResponseHeadersPolicy;
  /** `https://<distribution domain>/console/`: the page, and the client's only callback and sign-out URL. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SecurityConsoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const autoDelete = props.removalPolicy === RemovalPolicy.DESTROY;

    this.logBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging writes with an ACL: the bucket must accept object-writer ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays) }],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the destination of the console bucket and CloudFront access logs; logging its own writes would log the logs, forever.',
    });

    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: autoDelete,
    });

    const policy = consoleHeaderPolicy({ tokenOrigin: props.domain.baseUrl() });
    this.headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'stepgate security console: strict CSP and security headers (lambdas/contracts/console-headers.ts)',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: policy.contentSecurityPolicy, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(policy.strictTransportSecurity.maxAgeSeconds),
          includeSubdomains: policy.strictTransportSecurity.includeSubdomains,
          preload: policy.strictTransportSecurity.preload,
          override: true,
        },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentTypeOptions: { override: true },
      },
      customHeadersBehavior: {
        customHeaders: Object.entries(policy.custom).map(([header, value]) => ({ header, value, override: true })),
      },
    });

    // The console is one page under /console/ (hash routes): S3 has no index documents behind OAC, so the viewer's
    // directory paths are rewritten to the page, and the bare host goes to the console.
    const index = new CloudFrontFunction(this, 'IndexRewrite', {
      runtime: FunctionRuntime.JS_2_0,
      comment: 'stepgate console: /console/ -> /console/index.html; / and /console -> 301 /console/',
      code: FunctionCode.fromInline(
        [
          'function handler(event) {',
          '  var request = event.request;',
          "  if (request.uri === '/' || request.uri === '/console') {",
          `    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '${CONSOLE_PATH}' } } };`,
          '  }',
          `  if (request.uri === '${CONSOLE_PATH}') request.uri = '${CONSOLE_PATH}index.html';`,
          '  return request;',
          '}',
        ].join('\n'),
      ),
    });

    const apiDomain = `${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'stepgate security console',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        functionAssociations: [{ function: index, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // The admin and audit routes only (the console calls nothing else); never cached, every header but Host
        // (the bearer token included) passed to API Gateway, which checks the token and the staff groups.
        '/v1/admin/*': {
          origin: new HttpOrigin(apiDomain, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.headers,
        },
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Security staff work from anywhere; access is decided by the sign-in (staff groups, managed login) and the API authorizer, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files and forwards /v1/admin/* to the HTTP API, which is throttled and behind a JWT authorizer; a WAF web ACL (us-east-1 only) is an operator add-on documented in docs/console.md.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'With the default *.cloudfront.net certificate CloudFront negotiates TLSv1 at minimum whatever the setting; TLS 1.2 (TLSv1.2_2021) applies once an operator attaches a custom domain and certificate.',
      },
    );

    this.url = `https://${this.distribution.distributionDomainName}${CONSOLE_PATH}`;
    this.client = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      userPoolClientName: `${props.prefix}-console`,
      // A public client (the page cannot keep a secret): the code is bound to the page by PKCE (S256) instead.
      generateSecret: false,
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: CONSOLE_SCOPES,
        callbackUrls: [this.url],
        logoutUrls: [this.url],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // A working day: after that a console session signs in again.
      refreshTokenValidity: Duration.hours(12),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    // Managed login only: no InitiateAuth flow (a password-only way around managed login), refresh kept.
    (this.client.node.defaultChild as CfnUserPoolClient).explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];

    new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: CONSOLE_PATH.slice(1),
      sources: [
        props.source ?? builtConsole(),
        // What the page reads at start: the managed login's endpoints and this client's id.
        Source.jsonData('config.json', {
          clientId: this.client.userPoolClientId,
          authorizeUrl: `${props.domain.baseUrl()}/oauth2/authorize`,
          tokenUrl: `${props.domain.baseUrl()}/oauth2/token`,
          revokeUrl: `${props.domain.baseUrl()}/oauth2/revoke`,
          logoutUrl: `${props.domain.baseUrl()}/logout`,
          scopes: CONSOLE_SCOPES.map((s) => s.scopeName).join(' '),
        }),
      ],
      distribution: this.distribution,
      distributionPaths: [`${CONSOLE_PATH}*`],
      memoryLimit: 256,
    });
    // The deployment's singleton function and role are generated by aws-s3-deployment; they run only during a
    // CloudFormation deploy, copying files from the CDK asset bucket into the console bucket.
    const deployment = stack.node.findAll().filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    for (const c of deployment) {
      Validations.of(c).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            'The generated BucketDeployment function of aws-s3-deployment uses AWSLambdaBasicExecutionRole for its logs; it runs only during a deploy.',
        },
        ...deploymentWildcards(stack, this.bucket).map((finding) => ({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason:
            'aws-s3-deployment grants object wildcards (s3:GetObject*, s3:List*, s3:DeleteObject*...) on the CDK asset bucket and the console bucket only, to copy and prune the console files during a deploy; cloudfront:CreateInvalidation has no resource-level scope in its policy.',
        })),
        {
          id: 'AwsSolutions-L1',
          reason:
            'The runtime of the generated BucketDeployment function is chosen by aws-cdk-lib (a Python runtime with the AWS CLI layer); it is upgraded with aws-cdk-lib.',
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason:
            'The BucketDeployment function is invoked synchronously by CloudFormation during a deploy, which reports any failure; there is no event to dead-letter.',
        },
        {
          id: 'Serverless-LambdaTracing',
          reason:
            'The BucketDeployment function runs only during a deploy (copying static files); traces would show one S3 copy per deploy.',
        },
        {
          id: 'Serverless-LambdaDefaultMemorySize',
          reason:
            'The BucketDeployment function is sized by memoryLimit (256 MB) for the AWS CLI sync it runs; it is not a request path.',
        },
        {
          id: 'Serverless-LambdaLatestVersion',
          reason:
            'The runtime of the generated BucketDeployment function is chosen by aws-cdk-lib; it is upgraded with aws-cdk-lib.',
        },
      );
    }
  }
}

/** The IAM5 findings of the generated BucketDeployment role: its wildcard actions and the two buckets it copies between. */
function deploymentWildcards(stack: Stack, bucket: Bucket): string[] {
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const files = stack.getLogicalId(bucket.node.defaultChild as CfnBucket);
  return [
    ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((a) => `Action::${a}`),
    `Resource::arn:<AWS::Partition>:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-${region}/*`,
    `Resource::<${files}.Arn>/*`,
    'Resource::*',
  ];
}

/**
 * The console built by Vite from console/ at synth (local bundling; `npm ci` installs Vite). Stacks that are not
 * bundled (`cdk synth --exclusively`, the infrastructure tests) skip it, as they skip every Lambda bundle.
 */
function builtConsole(): ISource {
  return Source.asset(path.join(REPO_ROOT, 'console'), {
    exclude: ['dist', 'node_modules'],
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(
            process.execPath,
            [
              path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
              'build',
              '--config',
              path.join(REPO_ROOT, 'console', 'vite.config.mts'),
              '--outDir',
              outputDir,
              '--emptyOutDir',
            ],
            { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } },
          );
          return true;
        },
      },
    },
  });
}
