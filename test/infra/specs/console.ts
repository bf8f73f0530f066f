import { CONSOLE_PATH } from '../../../lambdas/contracts/console-headers';
import { logicalId, synthStage } from '../support/synth';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- templates are arbitrary JSON, checked field by field
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string };

describe.each(['dev', 'prod'] as const)('security console (%s)', (stage) => {
  const s = synthStage(stage);
  const t = s.statelessTemplate;
  const resources = t.toJSON().Resources as Record<string, Resource>;
  const c = s.stateless.console;
  const get = (construct: Parameters<typeof logicalId>[0]): Resource => resources[logicalId(construct)]!;
  const distribution = () => get(c.distribution).Properties.DistributionConfig as Record<string, Json>;
  const distributionRef = { Ref: logicalId(c.distribution) };

  it('keeps the files in a private, encrypted bucket that only this distribution can read (origin access control)', () => {
    const bucket = get(c.bucket).Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption).toBeDefined();
    expect(bucket.WebsiteConfiguration).toBeUndefined();
    expect(bucket.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(c.logBucket) });

    const policies = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::S3::BucketPolicy' &&
        JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: logicalId(c.bucket) }),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as Record<string, Json>[];
    // HTTPS only, for everyone.
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    // Reads by CloudFront, for this distribution only: no other principal, no public read.
    const reads = statements.filter((st) => st.Effect === 'Allow' && [st.Action].flat().includes('s3:GetObject'));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(JSON.stringify(reads[0]!.Condition)).toContain(logicalId(c.distribution));
    for (const st of statements.filter((x) => x.Effect === 'Allow')) {
      expect(st.Principal).not.toBe('*');
      expect(st.Principal).not.toEqual({ AWS: '*' });
    }

    const oac = Object.values(resources).filter((r) => r.Type === 'AWS::CloudFront::OriginAccessControl');
    expect(oac).toHaveLength(1);
    expect(oac[0]!.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const s3Origin = (distribution().Origins as Record<string, Json>[]).find((o) => o.S3OriginConfig);
    expect(s3Origin?.OriginAccessControlId).toBeDefined();
    // No legacy origin access identity.
    expect(s3Origin?.S3OriginConfig.OriginAccessIdentity ?? '').toBe('');
  });

  it('serves the console over HTTPS with the strict CSP and security headers on every behaviour', () => {
    const config = distribution();
    const headersRef = { Ref: logicalId(c.headers) };
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual(headersRef);
    for (const b of config.CacheBehaviors as Record<string, Json>[])
      expect(b.ResponseHeadersPolicyId).toEqual(headersRef);

    const policy = get(c.headers).Properties.ResponseHeadersPolicyConfig as Record<string, Json>;
    const security = policy.SecurityHeadersConfig;
    // The token endpoint's origin is the user pool domain, resolved at deploy: a Fn::Join around the directives.
    const csp = JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' https://");
    expect(csp).toContain('amazoncognito.com');
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(security.ContentSecurityPolicy.Override).toBe(true);
    expect(security.StrictTransportSecurity).toMatchObject({ IncludeSubdomains: true, Override: true });
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    const custom = (policy.CustomHeadersConfig.Items as { Header: string }[]).map((h) => h.Header);
    expect(custom).toEqual(
      expect.arrayContaining(['Permissions-Policy', 'Cross-Origin-Opener-Policy', 'Cross-Origin-Resource-Policy']),
    );
  });

  it('forwards only /v1/admin/* to the HTTP API, uncached, HTTPS only', () => {
    const behaviors = distribution().CacheBehaviors as Record<string, Json>[];
    expect(behaviors.map((b) => String(b.PathPattern))).toEqual(['/v1/admin/*']);
    const api = behaviors[0]!;
    expect(api.ViewerProtocolPolicy).toBe('https-only');
    // The managed CachingDisabled policy: a bearer token's answer is never cached.
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    const origin = (distribution().Origins as Record<string, Json>[]).find((o) => o.Id === api.TargetOriginId);
    expect(origin?.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(JSON.stringify(origin?.DomainName)).toContain(logicalId(s.stateless.http.api));
  });

  it('has its own public Cognito client: authorization code (PKCE) on managed login, no secret, no InitiateAuth flow', () => {
    const client = get(c.client).Properties;
    expect(client.UserPoolId).toEqual(expect.objectContaining({ 'Fn::ImportValue': expect.any(String) }));
    expect(client.GenerateSecret ?? false).toBe(false);
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(client.AllowedOAuthScopes).toEqual(['openid', 'email', 'profile']);
    expect(client.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    expect(client.SupportedIdentityProviders).toEqual(['COGNITO']);
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
    expect(client.EnableTokenRevocation).toBe(true);
    // The console's page on this distribution is the only place a code may be sent to.
    const page = {
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(c.distribution), 'DomainName'] }, CONSOLE_PATH]],
    };
    expect(client.CallbackURLs).toEqual([page]);
    expect(client.LogoutURLs).toEqual([page]);
  });

  it('is the only client with the authorization-code grant (the pre-token trigger treats managed login as the console)', () => {
    const clients = [s.statefulTemplate, t].flatMap((tpl) =>
      Object.entries(tpl.findResources('AWS::Cognito::UserPoolClient') as Record<string, Resource>),
    );
    expect(clients.length).toBe(3);
    const withCode = clients.filter(([, r]) => ((r.Properties.AllowedOAuthFlows ?? []) as string[]).includes('code'));
    expect(withCode.map(([id]) => id)).toEqual([logicalId(c.client)]);
  });

  it('opens the staff routes to console tokens, never the user routes', () => {
    const authorizers = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
    const audience = (name: string) =>
      JSON.stringify(authorizers.find((a) => a.Properties.Name === name)?.Properties.JwtConfiguration.Audience);
    expect(audience('staff')).toContain(logicalId(c.client));
    expect(audience('staff')).toContain(logicalId(s.stateful.auth.webClient));
    expect(audience('user')).not.toContain(logicalId(c.client));
    expect(audience('app')).not.toContain(logicalId(c.client));
  });

  it('deploys the built files and the sign-in configuration under console/, then invalidates the page', () => {
    const deployments = Object.values(resources).filter((r) => r.Type === 'Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(1);
    const d = deployments[0]!.Properties;
    expect(d.DestinationBucketName).toEqual({ Ref: logicalId(c.bucket) });
    expect(d.DestinationBucketKeyPrefix).toBe('console/');
    expect(d.DistributionId).toEqual(distributionRef);
    expect(d.DistributionPaths).toEqual(['/console/*']);
    expect(d.SourceObjectKeys).toHaveLength(2);
    // config.json carries the client id and the pool domain, resolved at deploy (source markers).
    const markers = JSON.stringify(d.SourceMarkers);
    expect(markers).toContain(logicalId(c.client));
    expect(markers).toContain(logicalId(s.stateful.auth.domain));
  });

  it('keeps access logs for the stage and tears the buckets down with a dev stack only', () => {
    const logs = get(c.logBucket);
    expect(logs.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(stage === 'prod' ? 400 : 14);
    expect(distribution().Logging.Bucket).toEqual({ 'Fn::GetAtt': [logicalId(c.logBucket), 'RegionalDomainName'] });
    for (const bucket of [get(c.bucket), logs])
      expect(bucket.DeletionPolicy).toBe(stage === 'prod' ? 'Retain' : 'Delete');
  });
});
