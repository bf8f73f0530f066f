import type { PostAuthenticationTriggerEvent, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import postAuthSample from '../../fixtures/cognito/aws-lambda-go-postauthentication.json';
import preTokenSample from '../../fixtures/cognito/aws-lambda-go-pretokengen-v2.json';
import { HmacPseudonymizer } from '../../../lambdas/adapters/hmac-pseudonymizer';
import { parseIp } from '../../../lambdas/core/net/ip';
import { contextKeys } from '../../../lambdas/core/risk/context-keys';
import { emptyProfile } from '../../../lambdas/core/risk/profile';
import { RequestIdentifiers } from '../../../lambdas/handlers/request-identifiers';
import { buildPreTokenGenerationHandler } from '../../../lambdas/handlers/triggers/pre-token-generation';
import { STEP_UP_CLAIMS } from '../../../lambdas/handlers/triggers/trigger-support';
import type { SessionApproval } from '../../../lambdas/ports/challenge-store';
import {
  ALICE,
  BOB,
  decisionTokenFor,
  decisionTokens,
  FEATURES,
  pendingStepUp,
  postAuthEvent,
  preTokenEvent,
  stepUpMetadata,
  T0,
  triggerHarness,
  type Harness,
} from './support';
import { silentLog } from '../../support/recording-log';

const GRANTED_AT = T0 + 30_000;
const REFUSED = 'Sign-in could not be completed. Please start again.';

describe('Pre token generation and Post authentication triggers', () => {
  let h: Harness;
  let metadata: Record<string, string>;
  beforeEach(async () => {
    h = await triggerHarness();
    h.store.stepUps.set(
      'su-1',
      pendingStepUp({
        status: 'granted',
        grantedAt: GRANTED_AT,
        grantedMethod: 'email_otp',
        grantedChallengeId: 'ch-1',
      }),
    );
    h.state.now = GRANTED_AT + 1000;
    metadata = await stepUpMetadata(h);
  });

  /** What Define Auth Challenge records when it lets a session through. */
  const approve = (o: Partial<SessionApproval> = {}) =>
    h.store.approve({
      kind: 'step_up',
      id: 'su-1',
      stepUpId: 'su-1',
      userName: ALICE.userName,
      passwordVerified: false,
      approvedAt: GRANTED_AT,
      ...o,
    });

  const details = (event: PreTokenGenerationV2TriggerEvent) =>
    (
      event.response as unknown as {
        claimsAndScopeOverrideDetails: Record<string, { claimsToAddOrOverride: object }> | null;
      }
    ).claimsAndScopeOverrideDetails;

  describe('Pre token generation (V2)', () => {
    it('adds step_up_id, step_up_acr, step_up_amr and step_up_at to both tokens after an approved step-up', async () => {
      await approve();
      const out = await h.preToken(preTokenEvent({ clientMetadata: metadata }));
      const claims = {
        [STEP_UP_CLAIMS.id]: 'su-1',
        [STEP_UP_CLAIMS.acr]: 'urn:stepgate:acr:otp',
        [STEP_UP_CLAIMS.amr]: ['otp', 'email'],
        [STEP_UP_CLAIMS.at]: Math.floor(GRANTED_AT / 1000),
      };
      expect(details(out)).toEqual({
        idTokenGeneration: { claimsToAddOrOverride: claims },
        accessTokenGeneration: { claimsToAddOrOverride: claims },
      });
      // Cognito does not let a trigger set acr/amr, so they are never sent.
      expect(JSON.stringify(details(out))).not.toMatch(/"(acr|amr)"/);
    });

    it('finds an approved sign-in through its decision token, and adds its step-up claims', async () => {
      await approve({ kind: 'sign_in', id: 'dec-1', passwordVerified: true });
      const token = await decisionTokenFor(ALICE.userName, 'step_up', h.state.now, { stepUpId: 'su-1' });
      const out = await h.preToken(preTokenEvent({ clientMetadata: { decisionToken: token, method: 'email_otp' } }));
      expect(details(out)?.idTokenGeneration?.claimsToAddOrOverride).toMatchObject({ [STEP_UP_CLAIMS.id]: 'su-1' });
    });

    it('refuses tokens for a sign-in Define never approved (a flow without the custom-auth triggers)', async () => {
      const token = await decisionTokenFor(ALICE.userName, 'allow', h.state.now);
      for (const clientMetadata of [undefined, { decisionToken: token, method: 'email_otp' }, metadata]) {
        await expect(h.preToken(preTokenEvent(clientMetadata ? { clientMetadata } : {}))).rejects.toThrow(REFUSED);
      }
    });

    it('turns an approval into tokens once, for its own user, while it is fresh', async () => {
      await approve();
      await expect(h.preToken(preTokenEvent({ user: BOB, clientMetadata: metadata }))).rejects.toThrow(REFUSED);
      await h.preToken(preTokenEvent({ clientMetadata: metadata }));
      await expect(h.preToken(preTokenEvent({ clientMetadata: metadata }))).rejects.toThrow(REFUSED);
      await approve({ kind: 'step_up', id: 'su-2', stepUpId: 'su-2', approvedAt: h.state.now - 61_000 });
      await expect(h.preToken(preTokenEvent({ clientMetadata: { ...metadata, stepUpId: 'su-2' } }))).rejects.toThrow(
        REFUSED,
      );
    });

    it('issues plain tokens for an approval whose grant is pending or whose claims were already issued', async () => {
      h.store.stepUps.set('su-p', pendingStepUp({ stepUpId: 'su-p' }));
      await approve({ id: 'su-p', stepUpId: 'su-p' });
      expect(
        details(await h.preToken(preTokenEvent({ clientMetadata: { ...metadata, stepUpId: 'su-p' } }))),
      ).toBeNull();
    });

    it('passes refreshes, and the ungated (local script) client, without an approval or claims', async () => {
      const refresh = {
        ...preTokenEvent(),
        triggerSource: 'TokenGeneration_RefreshTokens',
      } as PreTokenGenerationV2TriggerEvent;
      expect(details(await h.preToken(refresh))).toBeNull();
      const ungated = buildPreTokenGenerationHandler({
        clock: () => h.state.now,
        stepUps: h.store,
        approvals: h.store,
        decisionTokens,
        ungatedClientIds: ['web-client'],
        log: silentLog,
      });
      expect(details(await ungated(preTokenEvent()))).toBeNull();
    });

    it('refuses the sample event (no approval), and fails closed when the store fails', async () => {
      await expect(
        h.preToken(structuredClone(preTokenSample) as unknown as PreTokenGenerationV2TriggerEvent),
      ).rejects.toThrow(REFUSED);
      await approve();
      h.store.broken = true;
      await expect(h.preToken(preTokenEvent({ clientMetadata: metadata }))).rejects.toThrow(REFUSED);
    });
  });

  describe('Post authentication', () => {
    it("learns the step-up request's context into the trusted profile once, and records the grant once", async () => {
      await approve();
      const event = postAuthEvent({ clientMetadata: metadata });
      expect(await h.postAuth(structuredClone(event))).toEqual(event);
      await h.postAuth(structuredClone(event)); // Cognito retries
      const { profile, revision } = h.store.profiles.get(ALICE.userName)!;
      expect(revision).toBe(1);
      expect(profile?.trustedEvents).toBe(1);
      expect(Object.keys(profile!.trusted.devices)).toEqual([contextKeys(FEATURES).device]);
      expect(h.audit.events.map((e) => e.eventId)).toEqual(['grant:su-1:issued']);
      expect(h.audit.events[0]).toMatchObject({
        kind: 'grant.issued',
        subject: ALICE.userName,
        action: 'payment.transfer',
      });
    });

    it('learns from a sign-in only when the password was verified in the same session', async () => {
      const token = await decisionTokenFor(ALICE.userName, 'step_up', h.state.now, { stepUpId: 'su-1' });
      const event = postAuthEvent({ clientMetadata: { decisionToken: token, method: 'email_otp' } });
      await approve({ kind: 'sign_in', id: 'dec-1', passwordVerified: false });
      await h.postAuth(structuredClone(event));
      expect(h.store.profiles.size).toBe(0);
      await approve({ kind: 'sign_in', id: 'dec-1', passwordVerified: true });
      await h.postAuth(structuredClone(event));
      expect(h.store.profiles.get(ALICE.userName)?.profile?.trustedEvents).toBe(1);
    });

    it('learns nothing from a granted step-up that Define never approved', async () => {
      const token = await decisionTokenFor(ALICE.userName, 'step_up', h.state.now, { stepUpId: 'su-1' });
      await h.postAuth(postAuthEvent({ clientMetadata: { decisionToken: token, method: 'email_otp' } }));
      await h.postAuth(postAuthEvent({ clientMetadata: metadata }));
      expect(h.store.profiles.size).toBe(0);
      expect(h.audit.events).toHaveLength(0);
    });

    it('retries once when the profile changed under it', async () => {
      await approve();
      h.store.profileConflicts = 1;
      await h.postAuth(postAuthEvent({ clientMetadata: metadata }));
      expect(h.store.stepUps.get('su-1')?.learnedAt).toBeDefined();
      expect(h.store.profiles.get(ALICE.userName)?.profile?.trustedEvents).toBe(1);
    });

    it('teaches nothing without a fresh grant of this user (a challenged or failed attempt never teaches)', async () => {
      h.store.stepUps.set('su-p', pendingStepUp({ stepUpId: 'su-p' }));
      await approve({ id: 'su-p', stepUpId: 'su-p' });
      await approve();
      await h.postAuth(postAuthEvent({ clientMetadata: { ...metadata, stepUpId: 'su-p' } }));
      await h.postAuth(postAuthEvent({ user: BOB, clientMetadata: metadata }));
      h.state.now = GRANTED_AT + 10 * 60_000;
      await h.postAuth(postAuthEvent({ clientMetadata: metadata }));
      expect(h.store.profiles.size).toBe(0);
      expect(h.audit.events).toHaveLength(0);
    });

    it('never writes a raw context into a profile kept as pseudonyms (a step-up asked for before the switch)', async () => {
      const pseudonymous = { ...emptyProfile(T0), pseudonymous: true as const };
      h.store.profiles.set(ALICE.userName, { profile: pseudonymous, revision: 3 });
      await approve();
      await h.postAuth(postAuthEvent({ clientMetadata: metadata }));
      expect(h.store.profiles.get(ALICE.userName)).toEqual({ profile: pseudonymous, revision: 3 });
      // The grant is still recorded.
      expect(h.audit.events.map((e) => e.eventId)).toEqual(['grant:su-1:issued']);
    });

    it('learns a pseudonymized context, and marks the profile as kept in pseudonyms', async () => {
      const ids = new RequestIdentifiers(new HmacPseudonymizer('post-auth-test-key-0123456789'));
      const features = ids.identify(FEATURES, parseIp(FEATURES.ip)!).pseudonymous;
      h.store.stepUps.set('su-h', { ...h.store.stepUps.get('su-1')!, stepUpId: 'su-h', features });
      await approve({ id: 'su-h', stepUpId: 'su-h' });
      await h.postAuth(postAuthEvent({ clientMetadata: { ...metadata, stepUpId: 'su-h' } }));
      const profile = h.store.profiles.get(ALICE.userName)?.profile;
      expect(profile?.pseudonymous).toBe(true);
      expect(Object.keys(profile!.trusted.ips)).toEqual([features.ip]);
      expect(features.ip).toMatch(/^h\.ip\./);
    });

    it('passes the sample event through unchanged and never throws (a throw would fail the sign-in)', async () => {
      const sample = structuredClone(postAuthSample) as unknown as PostAuthenticationTriggerEvent;
      expect(await h.postAuth(structuredClone(sample))).toEqual(sample);
      h.store.broken = true;
      await expect(h.postAuth(postAuthEvent({ clientMetadata: metadata }))).resolves.toBeDefined();
    });
  });
});
