import type { PostAuthenticationTriggerEvent, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import postAuthSample from '../../fixtures/cognito/aws-lambda-go-postauthentication.json';
import preTokenSample from '../../fixtures/cognito/aws-lambda-go-pretokengen-v2.json';
import { HmacPseudonymizer } from '../../../lambdas/adapters/hmac-pseudonymizer';
import { parseIp } from '../../../lambdas/core/net/ip';
import { contextKeys } from '../../../lambdas/core/risk/context-keys';
import { emptyProfile } from '../../../lambdas/core/risk/profile';
import { RequestIdentifiers } from '../../../lambdas/handlers/request-identifiers';
import { STEP_UP_CLAIMS } from '../../../lambdas/handlers/triggers/trigger-support';
import {
  ALICE,
  BOB,
  decisionTokenFor,
  FEATURES,
  pendingStepUp,
  postAuthEvent,
  preTokenEvent,
  T0,
  triggerHarness,
  type Harness,
} from './support';

const GRANTED_AT = T0 + 30_000;

describe('Pre token generation and Post authentication triggers', () => {
  let h: Harness;
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
  });

  const details = (event: PreTokenGenerationV2TriggerEvent) =>
    (
      event.response as unknown as {
        claimsAndScopeOverrideDetails: Record<string, { claimsToAddOrOverride: object }> | null;
      }
    ).claimsAndScopeOverrideDetails;

  describe('Pre token generation (V2)', () => {
    it('adds step_up_id, step_up_acr, step_up_amr and step_up_at to both tokens after a passed step-up', async () => {
      const out = await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-1', method: 'email_otp' } }));
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

    it('finds the step-up through a signed-in decision token too', async () => {
      const token = await decisionTokenFor(ALICE.userName, 'step_up', h.state.now, { stepUpId: 'su-1' });
      const out = await h.preToken(preTokenEvent({ clientMetadata: { decisionToken: token, method: 'email_otp' } }));
      expect(details(out)?.idTokenGeneration?.claimsToAddOrOverride).toMatchObject({ [STEP_UP_CLAIMS.id]: 'su-1' });
    });

    it('issues the claims once: another sign-in naming the same step-up gets plain tokens', async () => {
      await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-1' } }));
      expect(details(await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-1' } })))).toBeNull();
    });

    it('adds nothing for another user, a pending or stale step-up, or no metadata', async () => {
      expect(details(await h.preToken(preTokenEvent({ user: BOB, clientMetadata: { stepUpId: 'su-1' } })))).toBeNull();
      h.store.stepUps.set('su-p', pendingStepUp({ stepUpId: 'su-p' }));
      expect(details(await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-p' } })))).toBeNull();
      expect(details(await h.preToken(preTokenEvent()))).toBeNull();
      h.state.now = GRANTED_AT + 5 * 60_000;
      expect(details(await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-1' } })))).toBeNull();
    });

    it("replaces the sample event's placeholder response with nothing, and adds nothing when the store fails", async () => {
      const out = await h.preToken(structuredClone(preTokenSample) as unknown as PreTokenGenerationV2TriggerEvent);
      expect(out.response).toEqual({ claimsAndScopeOverrideDetails: null });
      h.store.broken = true;
      expect(details(await h.preToken(preTokenEvent({ clientMetadata: { stepUpId: 'su-1' } })))).toBeNull();
    });
  });

  describe('Post authentication', () => {
    it("learns the step-up request's context into the trusted profile once, and records the grant once", async () => {
      const event = postAuthEvent({ clientMetadata: { stepUpId: 'su-1' } });
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

    it('retries once when the profile changed under it', async () => {
      h.store.profileConflicts = 1;
      await h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-1' } }));
      expect(h.store.stepUps.get('su-1')?.learnedAt).toBeDefined();
      expect(h.store.profiles.get(ALICE.userName)?.profile?.trustedEvents).toBe(1);
    });

    it('teaches nothing without a fresh grant of this user (a challenged or failed attempt never teaches)', async () => {
      h.store.stepUps.set('su-p', pendingStepUp({ stepUpId: 'su-p' }));
      await h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-p' } }));
      await h.postAuth(postAuthEvent({ user: BOB, clientMetadata: { stepUpId: 'su-1' } }));
      h.state.now = GRANTED_AT + 10 * 60_000;
      await h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-1' } }));
      expect(h.store.profiles.size).toBe(0);
      expect(h.audit.events).toHaveLength(0);
    });

    it('never writes a raw context into a profile kept as pseudonyms (a step-up asked for before the switch)', async () => {
      const pseudonymous = { ...emptyProfile(T0), pseudonymous: true as const };
      h.store.profiles.set(ALICE.userName, { profile: pseudonymous, revision: 3 });
      await h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-1' } }));
      expect(h.store.profiles.get(ALICE.userName)).toEqual({ profile: pseudonymous, revision: 3 });
      // The grant is still recorded.
      expect(h.audit.events.map((e) => e.eventId)).toEqual(['grant:su-1:issued']);
    });

    it('learns a pseudonymized context, and marks the profile as kept in pseudonyms', async () => {
      const ids = new RequestIdentifiers(new HmacPseudonymizer('post-auth-test-key-0123456789'));
      const features = ids.identify(FEATURES, parseIp(FEATURES.ip)!).pseudonymous;
      h.store.stepUps.set('su-h', { ...h.store.stepUps.get('su-1')!, stepUpId: 'su-h', features });
      await h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-h' } }));
      const profile = h.store.profiles.get(ALICE.userName)?.profile;
      expect(profile?.pseudonymous).toBe(true);
      expect(Object.keys(profile!.trusted.ips)).toEqual([features.ip]);
      expect(features.ip).toMatch(/^h\.ip\./);
    });

    it('passes the sample event through unchanged and never throws (a throw would fail the sign-in)', async () => {
      const sample = structuredClone(postAuthSample) as unknown as PostAuthenticationTriggerEvent;
      expect(await h.postAuth(structuredClone(sample))).toEqual(sample);
      h.store.broken = true;
      await expect(h.postAuth(postAuthEvent({ clientMetadata: { stepUpId: 'su-1' } }))).resolves.toBeDefined();
    });
  });
});
