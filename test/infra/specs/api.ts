import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { API_ROUTES, DECIDE_SCOPE, routeKey, type ApiRoute } from '../../../lambdas/contracts/routes';
import { StepgateHttpApi } from '../../../lib/constructs/stepgate-http-api';
import { logicalId, synthStage } from '../support/synth';

type Authorizer = {
  Name: string;
  AuthorizerType: string;
  IdentitySource: string[];
  JwtConfiguration: { Audience: unknown[]; Issuer: unknown };
};
type Route = {
  RouteKey: string;
  AuthorizationType: string;
  AuthorizerId: { Ref: string };
  AuthorizationScopes?: string[];
};

describe('HTTP API (from API_ROUTES)', () => {
  const s = synthStage('dev');
  const t = s.statelessTemplate;
  const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: unknown }>;
  const ofType = <T>(type: string) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties as T] as const);
  const authorizers = new Map(ofType<Authorizer>('AWS::ApiGatewayV2::Authorizer'));
  const routes = ofType<Route>('AWS::ApiGatewayV2::Route').map(([, r]) => r);
  const poolId = logicalId(s.stateful.auth.userPool);

  it('creates one route per API_ROUTES entry and nothing else', () => {
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(API_ROUTES.map(routeKey).sort());
  });

  it.each(API_ROUTES.map((r) => [routeKey(r), r] as const))('%s: JWT authorizer and scopes as listed', (_k, route) => {
    const r = routes.find((x) => x.RouteKey === routeKey(route));
    expect(r?.AuthorizationType).toBe('JWT');
    const authorizer = authorizers.get(r!.AuthorizerId.Ref);
    expect(authorizer?.Name).toBe(route.authorizer);
    expect(r?.AuthorizationScopes).toEqual(route.scopes.length > 0 ? [...route.scopes] : undefined);
  });

  it('requires stepgate/decide on POST /v1/decisions, from a client-credentials token', () => {
    const r = routes.find((x) => x.RouteKey === 'POST /v1/decisions');
    expect(r?.AuthorizationScopes).toEqual([DECIDE_SCOPE]);
    const authorizer = authorizers.get(r!.AuthorizerId.Ref)!;
    expect(authorizer.JwtConfiguration.Audience).toHaveLength(1);
    expect(JSON.stringify(authorizer.JwtConfiguration.Audience)).toContain(logicalId(s.stateful.auth.appClient));
  });

  it('checks the user pool issuer and the Authorization header on every authorizer', () => {
    expect(authorizers.size).toBeGreaterThan(0);
    for (const a of authorizers.values()) {
      expect(a.AuthorizerType).toBe('JWT');
      expect(a.IdentitySource).toEqual(['$request.header.Authorization']);
      const issuer = JSON.stringify(a.JwtConfiguration.Issuer);
      expect(issuer).toContain('https://cognito-idp.us-east-1.');
      expect(issuer).toContain(poolId);
    }
  });

  it('throttles the default stage and writes JSON access logs to its own log group', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(s.stateless.http.accessLogs), 'Arn'] },
        Format: Match.anyValue(),
      },
    });
    const stage = ofType<{ AccessLogSettings: { Format: string } }>('AWS::ApiGatewayV2::Stage')[0]![1];
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(format.status).toBe('$context.status');
    expect(format.authorizerError).toBe('$context.authorizer.error');
  });

  it('throttles harder in dev than in prod', () => {
    synthStage('prod').statelessTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });
});

describe('StepgateHttpApi', () => {
  const routes: ApiRoute[] = [
    { method: 'POST', path: '/v1/decisions', fn: 'decide', authorizer: 'app', scopes: [DECIDE_SCOPE] },
    { method: 'GET', path: '/v1/admin/policy', fn: 'admin', authorizer: 'user', scopes: [] },
    { method: 'GET', path: '/v1/admin/audit', fn: 'audit', authorizer: 'user', scopes: [] },
  ];
  const build = (mount: readonly ApiRoute['fn'][]) => {
    const app = new App();
    const stack = new Stack(app, 'T');
    const http = new StepgateHttpApi(stack, 'Http', {
      prefix: 't',
      tokenIssuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool',
      appClientIds: ['app-client'],
      userClientIds: ['web-client'],
      routes,
      logRetention: RetentionDays.ONE_DAY,
    });
    for (const fn of mount) {
      http.mount(
        fn,
        new LambdaFunction(stack, fn, { runtime: Runtime.NODEJS_24_X, handler: 'i.h', code: Code.fromInline('x') }),
      );
    }
    return { app, stack };
  };

  it('gives user routes the user authorizer, whose audience is the web client', () => {
    const t = Template.fromStack(build(['decide', 'admin', 'audit']).stack);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      Name: 'user',
      JwtConfiguration: {
        Audience: ['web-client'],
        Issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool',
      },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      Name: 'app',
      JwtConfiguration: { Audience: ['app-client'] },
    });
    t.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
  });

  it('fails synth when a function named in the routes is never mounted', () => {
    const { app } = build(['decide', 'admin']);
    expect(() => app.synth()).toThrow(/no function mounted for API_ROUTES entries of 'audit'/);
  });
});
