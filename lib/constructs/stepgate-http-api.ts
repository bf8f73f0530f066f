import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTES, routeKey, type ApiRoute, type FunctionName } from '../../lambdas/contracts/routes';

export interface StepgateHttpApiProps {
  /** API name: `<prefix>-api`. */
  readonly prefix: string;
  /** `iss` both authorizers require (the user pool's issuer URL). */
  readonly tokenIssuer: string;
  /** Audiences (`aud` or, for access tokens, `client_id`) of the `app` authorizer: the client-credentials clients. */
  readonly appClientIds: readonly string[];
  /** Audiences of the `user` authorizer: the client users sign in with. */
  readonly userClientIds: readonly string[];
  /**
   * The routes to serve; every function named here must be mounted (see `mount`) or synth fails.
   * @default API_ROUTES
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * Steady-state requests per second across the API (default stage).
   * @default 100
   */
  readonly rateLimit?: number;
  /**
   * @default 200
   */
  readonly burstLimit?: number;
  readonly logRetention: RetentionDays;
  /**
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** What is written per request: enough to trace a call, nothing from the body. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  clientId: '$context.authorizer.claims.client_id',
  sub: '$context.authorizer.claims.sub',
};

/**
 * The one HTTP API that hosts the decision and admin routes. It owns the stage (throttling, JSON access logs) and
 * the two JWT authorizers; the DecisionApi and AdminApi constructs mount their functions on the routes that
 * API_ROUTES assigns to them, so authorization comes from the same list the local gateway uses.
 */
export class StepgateHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly authorizers: Readonly<Record<ApiRoute['authorizer'], HttpJwtAuthorizer>>;
  private readonly routes: readonly ApiRoute[];
  private readonly mounted = new Set<FunctionName>();

  constructor(scope: Construct, id: string, props: StepgateHttpApiProps) {
    super(scope, id);
    this.routes = props.routes ?? API_ROUTES;

    this.api = new HttpApi(this, 'Api', {
      apiName: `${props.prefix}-api`,
      description: 'stepgate decision and admin API',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 100, burstLimit: props.burstLimit ?? 200 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const jwt = (authorizerId: string, audience: readonly string[]) =>
      new HttpJwtAuthorizer(authorizerId, props.tokenIssuer, {
        authorizerName: authorizerId,
        jwtAudience: [...audience],
        identitySource: ['$request.header.Authorization'],
      });
    this.authorizers = { app: jwt('app', props.appClientIds), user: jwt('user', props.userClientIds) };

    this.node.addValidation({
      validate: () => {
        const missing = [...new Set(this.routes.map((r) => r.fn))].filter((fn) => !this.mounted.has(fn));
        return missing.map((fn) => `no function mounted for API_ROUTES entries of '${fn}'`);
      },
    });
  }

  /** Creates every route API_ROUTES assigns to `fn`, integrated with `handler`. */
  mount(fn: FunctionName, handler: IFunction): HttpRoute[] {
    if (this.mounted.has(fn)) throw new Error(`routes of ${fn} are already mounted`);
    this.mounted.add(fn);
    const integration = new HttpLambdaIntegration(`${fn}-integration`, handler);
    return this.routes
      .filter((route) => route.fn === fn)
      .flatMap((route) =>
        this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: this.authorizers[route.authorizer],
          ...(route.scopes.length > 0 ? { authorizationScopes: [...route.scopes] } : {}),
        }),
      );
  }

  /** The route key (`POST /v1/decisions`) of each mounted route, for alarms and dashboards. */
  routeKeys(fn?: FunctionName): string[] {
    return this.routes.filter((r) => fn === undefined || r.fn === fn).map(routeKey);
  }
}
