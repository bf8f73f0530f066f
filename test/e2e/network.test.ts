import geoip from 'geoip-lite';
import type { LocalRuntime } from '../../lambdas/local/runtime';
import { appToken, postJson, startTestRuntime } from '../support/local-runtime';

// Real addresses, all placed in New York by geoip-lite: two of AT&T (AS7018) in different blocks, one of Charter
// (AS12271). The first test checks these facts against the shipped data.
const ATT = '12.45.10.20';
const ATT_ELSEWHERE = '12.14.1.10';
const CHARTER = '24.193.1.10';
const UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describe('network identity on live decisions (local runtime)', () => {
  let clock = Date.parse('2026-11-30T08:00:00Z');
  const codes = (res: { body: { reasons: { code: string }[] } }) => res.body.reasons.map((r) => r.code);

  async function signIns(runtime: LocalRuntime, userId: string) {
    const signIn = async (ip: string) => {
      clock += 3_600_000;
      // Tokens live an hour on the runtime's clock, which moves an hour per sign-in.
      const res = await postJson(`${runtime.url}/v1/decisions`, await appToken(runtime.url), {
        userId,
        action: 'auth.sign_in',
        context: { ip, userAgent: UA, deviceId: `${userId}-laptop` },
      });
      expect(res.status).toBe(200);
      return res;
    };
    // A few trusted sign-ins from home (AT&T) teach the profile its network.
    let last;
    for (let i = 0; i < 4; i++) last = await signIn(ATT);
    expect(last?.body.decision).toBe('allow');
    return signIn;
  }

  describe('with the shipped ASN data', () => {
    let runtime: LocalRuntime;
    beforeAll(async () => {
      runtime = await startTestRuntime({ now: () => clock });
    });
    afterAll(() => runtime.stop());

    it('uses addresses of one city and two providers', () => {
      const network = runtime.context.network.locator;
      expect(network?.lookup(ATT)?.asn).toBe(7018);
      expect(network?.lookup(ATT_ELSEWHERE)?.asn).toBe(7018);
      expect(network?.lookup(ATT_ELSEWHERE)?.prefix).not.toBe(network?.lookup(ATT)?.prefix);
      expect(network?.lookup(CHARTER)?.asn).toBe(12271);
      for (const ip of [ATT, ATT_ELSEWHERE, CHARTER]) expect(geoip.lookup(ip)).toMatchObject({ city: 'New York' });
    });

    it('flags a sign-in from another provider in the same city as geo.new_network', async () => {
      const signIn = await signIns(runtime, 'commuter@example.com');
      const res = await signIn(CHARTER);
      expect(codes(res)).toContain('geo.new_network');
      // Evidence model: the reason's points come from a likelihood ratio (the user's own rate of new networks), so
      // the test pins the network named and that it adds risk, not one figure.
      const reason = (res.body.reasons as { code: string; points: number; detail: string }[]).find(
        (r) => r.code === 'geo.new_network',
      );
      expect(reason?.detail).toMatch(/^first time from network AS12271; .*likelihood ratio \d/);
      expect(reason?.points).toBeGreaterThan(0);
      expect(codes(res)).not.toContain('geo.new_city');
    });

    it('does not flag a new address of the provider the user signs in from', async () => {
      const signIn = await signIns(runtime, 'homebody@example.com');
      const res = await signIn(ATT_ELSEWHERE);
      expect(codes(res)).not.toContain('geo.new_network');
      expect(codes(res)).not.toContain('geo.new_city');
      expect(res.body.decision).toBe('allow');
    });
  });

  describe('with the network data turned off', () => {
    let runtime: LocalRuntime;
    beforeAll(async () => {
      runtime = await startTestRuntime({ now: () => clock, env: { STEPGATE_NETWORK_DATA: 'off' } });
    });
    afterAll(() => runtime.stop());

    it('falls back on the address block: a sign-in from a new /24 is a new network, never named by an AS number', async () => {
      // Without AS numbers the network is the address prefix (/24): weaker evidence than a provider change (a new
      // block of the same provider counts too), but a first sign-in from a block the user never used is still
      // evidence, and the reason names the kind of block, never a prefix (an identifier) or a provider.
      expect(runtime.context.network.locator).toBeUndefined();
      const signIn = await signIns(runtime, 'commuter@example.com');
      const res = await signIn(CHARTER);
      const reason = (res.body.reasons as { code: string; detail: string }[]).find((r) => r.code === 'geo.new_network');
      expect(reason?.detail).toMatch(/^first time from this address's block \(\/24, \/48\)/);
      expect(reason?.detail).not.toMatch(/AS\d/);
      expect(codes(res)).not.toContain('geo.new_city');
    });
  });
});
