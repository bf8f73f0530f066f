/* eslint-disable @typescript-eslint/no-explicit-any -- the tests write deliberately invalid values into the document */
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { ACR_PHISHING_RESISTANT, parsePolicy, SENSITIVITY_LEVELS } from '../../../lambdas/core/policy/policy-schema';

function mutate(change: (p: Record<string, any>) => void): unknown {
  const p = structuredClone(defaultPolicy) as unknown as Record<string, any>;
  change(p);
  return p;
}

function issuesOf(doc: unknown) {
  const r = parsePolicy(doc);
  if (r.ok) throw new Error('expected the policy to be invalid');
  return r.issues;
}

describe('default policy', () => {
  it('is valid and round-trips through the schema unchanged', () => {
    const r = parsePolicy(defaultPolicy);
    expect(r).toEqual({ ok: true, policy: defaultPolicy });
  });

  it('is version 1 and survives JSON serialisation (it is stored as a document)', () => {
    expect(defaultPolicy.version).toBe(1);
    expect(parsePolicy(JSON.parse(JSON.stringify(defaultPolicy))).ok).toBe(true);
  });

  it('has the required action catalogue', () => {
    const levels = Object.fromEntries(Object.entries(defaultPolicy.actions).map(([a, e]) => [a, e.level]));
    expect(levels).toMatchObject({
      'auth.sign_in': 'low',
      'profile.view': 'none',
      'profile.update': 'medium',
      'credentials.change': 'high',
      'mfa.change': 'critical',
      'payment.transfer': 'high',
      'data.export': 'high',
      'admin.production_access': 'critical',
    });
  });

  it('steps up critical actions every time and never lets medium-and-above through on store failure', () => {
    expect(defaultPolicy.levels.critical).toMatchObject({ stepUpAt: 0, maxAgeSeconds: 0 });
    expect(defaultPolicy.levels.none).toMatchObject({ stepUpAt: 101, denyAt: 101 });
    for (const level of ['medium', 'high', 'critical'] as const)
      expect(defaultPolicy.failMode[level]).not.toBe('allow');
  });

  it('offers no SMS for high and critical (NIST SP 800-63B restricted authenticator)', () => {
    expect(defaultPolicy.levels.high.methods).not.toContain('sms_otp');
    expect(defaultPolicy.levels.critical.methods).not.toContain('sms_otp');
  });
});

describe('parsePolicy errors name the dotted path', () => {
  it.each<[string, string, (p: Record<string, any>) => void]>([
    ['negative threshold', 'levels.high.stepUpAt', (p) => (p.levels.high.stepUpAt = -1)],
    ['threshold above 101', 'levels.low.denyAt', (p) => (p.levels.low.denyAt = 102)],
    [
      'stepUpAt above denyAt',
      'levels.none.stepUpAt',
      (p) => {
        p.levels.none.stepUpAt = 50;
        p.levels.none.denyAt = 40;
      },
    ],
    ['string threshold', 'levels.high.stepUpAt', (p) => (p.levels.high.stepUpAt = '25')],
    ['fractional max age', 'levels.low.maxAgeSeconds', (p) => (p.levels.low.maxAgeSeconds = 1.5)],
    ['unknown method', 'levels.high.methods.0', (p) => (p.levels.high.methods = ['carrier_pigeon'])],
    ['no methods', 'levels.high.methods', (p) => (p.levels.high.methods = [])],
    ['acr with a quote', 'levels.high.acr', (p) => (p.levels.high.acr = 'a"b')],
    [
      'unknown level in action',
      'actions.payment.transfer.level',
      (p) => (p.actions['payment.transfer'].level = 'extreme'),
    ],
    ['badly named action', 'actions.Payment', (p) => (p.actions['Payment'] = { level: 'high' })],
    ['undotted action', 'actions.payment', (p) => (p.actions['payment'] = { level: 'high' })],
    ['negative weight', 'weights.evidence.country', (p) => (p.weights.evidence.country = -5)],
    ['negative points', 'weights.device.bot', (p) => (p.weights.device.bot = -5)],
    ['confirming a value on a single day', 'learning.confirmDays', (p) => (p.learning.confirmDays = 1)],
    ['positive allow-list weight', 'weights.lists.allowlisted', (p) => (p.weights.lists.allowlisted = 5)],
    ['zero prior strength', 'weights.evidence.priorLogins', (p) => (p.weights.evidence.priorLogins = 0)],
    [
      'zero velocity threshold',
      'weights.velocity.ipManyUsers.threshold',
      (p) => (p.weights.velocity.ipManyUsers.threshold = 0),
    ],
    ['bad CIDR in deny list', 'lists.deny.0', (p) => (p.lists.deny = ['10.0.0.0/33'])],
    ['host bits set in allow list', 'lists.allow.1', (p) => (p.lists.allow = ['203.0.113.0/24', '10.1.2.3/8'])],
    ['not an IP at all', 'lists.deny.0', (p) => (p.lists.deny = ['example.com'])],
    ['fail open for medium', 'failMode.medium', (p) => (p.failMode.medium = 'allow')],
    [
      'fail mode laxer upwards',
      'failMode.critical',
      (p) => {
        p.failMode.high = 'deny';
        p.failMode.critical = 'step_up';
      },
    ],
    ['version 0', 'version', (p) => (p.version = 0)],
    ['missing weights', 'weights', (p) => delete p.weights],
    ['missing level', 'levels.medium', (p) => delete p.levels.medium],
    ['non-boolean approval', 'approval.required', (p) => (p.approval.required = 'yes')],
  ])('%s → %s', (_name, path, change) => {
    const issues = issuesOf(mutate(change));
    expect(issues.map((i) => i.path)).toContain(path);
    for (const i of issues) expect(i.message.length).toBeGreaterThan(0);
  });

  it.each<[string, string, (p: Record<string, any>) => void]>([
    ['top level', 'extra', (p) => (p.extra = 1)],
    ['nested', 'weights.geo.bogus', (p) => (p.weights.geo.bogus = 2)],
    ['in a level', 'levels.high.foo', (p) => (p.levels.high.foo = true)],
    ['in an action', 'actions.data.export.owner', (p) => (p.actions['data.export'].owner = 'x')],
  ])('rejects unknown keys (%s) → %s', (_name, path, change) => {
    const issues = issuesOf(mutate(change));
    expect(issues).toContainEqual({ path, message: expect.stringContaining('unknown key') });
  });

  it.each(['stepUpAt', 'denyAt', 'maxAgeSeconds'] as const)(
    'rejects a more sensitive level with a higher %s than the level below it',
    (field) => {
      let checked = 0;
      for (let i = 1; i < SENSITIVITY_LEVELS.length; i++) {
        const lower = SENSITIVITY_LEVELS[i - 1]!;
        const higher = SENSITIVITY_LEVELS[i]!;
        const raised = defaultPolicy.levels[lower][field] + 1;
        if (field !== 'maxAgeSeconds' && raised > 101) continue; // none sits at the ceiling
        const doc = mutate((p) => {
          p.levels[higher][field] = raised;
          // Keep stepUpAt ≤ denyAt so that only the monotonicity rule can fire.
          if (field === 'stepUpAt') p.levels[higher].denyAt = Math.max(p.levels[higher].denyAt, raised);
        });
        expect(issuesOf(doc)).toContainEqual({
          path: `levels.${higher}.${field}`,
          message: expect.stringContaining(`levels.${lower}.${field}`),
        });
        checked++;
      }
      // low.denyAt may sit at the ceiling too (the default never denies a sign-in by score alone).
      expect(checked).toBeGreaterThanOrEqual(2);
    },
  );

  it('reports every problem at once', () => {
    const issues = issuesOf(
      mutate((p) => {
        p.levels.high.stepUpAt = 50;
        p.lists.deny = ['nope'];
        p.weights.geo.bogus = 1;
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['levels.high.stepUpAt', 'lists.deny.0', 'weights.geo.bogus']);
  });

  it.each([null, undefined, 42, 'policy', []])('rejects %p without throwing', (doc) => {
    expect(parsePolicy(doc).ok).toBe(false);
  });

  it('accepts IPv6 and v4-mapped list entries', () => {
    const r = parsePolicy(
      mutate((p) => (p.lists = { allow: ['2001:db8::/32', '::1'], deny: ['::ffff:10.0.0.0/104'] })),
    );
    expect(r.ok).toBe(true);
  });
});

describe('guardrails no policy can remove', () => {
  it.each<[string, string, (p: Record<string, any>) => void]>([
    ['critical never steps up', 'levels.critical.stepUpAt', (p) => (p.levels.critical.stepUpAt = 1)],
    ['a critical grant lasts', 'levels.critical.maxAgeSeconds', (p) => (p.levels.critical.maxAgeSeconds = 60)],
    ['mfa.change below critical', 'actions.mfa.change.level', (p) => (p.actions['mfa.change'].level = 'high')],
    [
      'credentials.change at none',
      'actions.credentials.change.level',
      (p) => (p.actions['credentials.change'].level = 'none'),
    ],
    [
      'production access below critical',
      'actions.admin.production_access.level',
      (p) => (p.actions['admin.production_access'].level = 'high'),
    ],
    ['sign-in at none', 'actions.auth.sign_in.level', (p) => (p.actions['auth.sign_in'].level = 'none')],
    ['mfa.change removed', 'actions.mfa.change', (p) => delete p.actions['mfa.change']],
    ['the IPv4 Internet allow-listed', 'lists.allow.0', (p) => (p.lists.allow = ['0.0.0.0/0'])],
    ['the IPv6 Internet allow-listed', 'lists.allow.1', (p) => (p.lists.allow = ['10.1.0.0/16', '::/0'])],
    ['an IPv4 /15', 'lists.allow.0', (p) => (p.lists.allow = ['10.0.0.0/15'])],
    ['an IPv6 /31', 'lists.allow.0', (p) => (p.lists.allow = ['2001:db8::/31'])],
    ['a v4-mapped /8', 'lists.allow.0', (p) => (p.lists.allow = ['::ffff:10.0.0.0/104'])],
  ])('refuses a policy where %s, naming %s', (_name, path, change) => {
    const issues = issuesOf(mutate(change));
    expect(issues.map((i) => i.path)).toEqual([path]);
  });

  it('accepts the narrowest broad entries and raising the built-in actions', () => {
    const r = parsePolicy(
      mutate((p) => {
        p.lists.allow = ['10.0.0.0/16', '2001:db8::/32', '::ffff:10.1.0.0/112', '203.0.113.7', '2001:db8::1'];
        p.lists.deny = ['0.0.0.0/0', '::/0'];
        p.actions['credentials.change'].level = 'critical';
        p.actions['profile.view'].level = 'none';
      }),
    );
    expect(r.ok).toBe(true);
  });

  it('refuses the "allow everything" policy, naming every guardrail it breaks', () => {
    const doc = mutate((p) => {
      p.lists.allow = ['0.0.0.0/0', '::/0'];
      for (const level of SENSITIVITY_LEVELS) Object.assign(p.levels[level], { stepUpAt: 101, denyAt: 101 });
      for (const action of Object.values(p.actions)) (action as { level: string }).level = 'none';
      for (const group of ['device', 'geo']) for (const k of Object.keys(p.weights[group])) p.weights[group][k] = 0;
    });
    const paths = issuesOf(doc).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'levels.critical.stepUpAt',
        'actions.mfa.change.level',
        'actions.credentials.change.level',
        'actions.admin.production_access.level',
        'lists.allow.0',
        'lists.allow.1',
      ]),
    );
  });

  it('keeps the enrolment exemption off unless asked, and accepts only the documented rules', () => {
    expect(defaultPolicy.authenticators).toEqual({ firstWithoutStepUp: 'never' });
    const { authenticators: _omitted, ...without } = structuredClone(defaultPolicy);
    expect(parsePolicy(without).ok).toBe(true);
    expect(parsePolicy(mutate((p) => (p.authenticators = { firstWithoutStepUp: 'no_verified_contact' }))).ok).toBe(
      true,
    );
    expect(issuesOf(mutate((p) => (p.authenticators = { firstWithoutStepUp: 'always' }))).map((i) => i.path)).toEqual([
      'authenticators.firstWithoutStepUp',
    ]);
  });
});

describe('phishing-resistant levels', () => {
  it('lets a level demand urn:stepgate:acr:phr with passkeys alone', () => {
    const doc = mutate((p) => {
      p.levels.critical.acr = ACR_PHISHING_RESISTANT;
      p.levels.critical.methods = ['webauthn'];
    });
    expect(parsePolicy(doc).ok).toBe(true);
  });

  it('refuses a phishing-resistant level that also offers a code method, naming the weak ones', () => {
    const doc = mutate((p) => {
      p.levels.critical.acr = ACR_PHISHING_RESISTANT;
      p.levels.critical.methods = ['webauthn', 'totp', 'email_otp'];
    });
    expect(issuesOf(doc)).toEqual([
      {
        path: 'levels.critical.methods',
        message: expect.stringMatching(/offer only webauthn \(not totp, email_otp\)/),
      },
    ]);
  });

  it('accepts webauthn as a method of any level, and refuses an unknown one', () => {
    expect(parsePolicy(mutate((p) => (p.levels.high.methods = ['webauthn', 'totp']))).ok).toBe(true);
    expect(issuesOf(mutate((p) => (p.levels.high.methods = ['fido'])))[0]?.path).toBe('levels.high.methods.0');
  });
});
