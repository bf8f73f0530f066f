import { randomBytes } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbAuditLog } from '../../../lambdas/adapters/dynamodb/dynamodb-audit-log';
import { DynamoDbChallengeStore } from '../../../lambdas/adapters/dynamodb/dynamodb-challenge-store';
import { DynamoDbGrantStore } from '../../../lambdas/adapters/dynamodb/dynamodb-grant-store';
import { stepUpToItem } from '../../../lambdas/adapters/dynamodb/items/step-up';
import type { TableNames } from '../../../lambdas/contracts/tables';
import { EphemeralAppSecrets } from '../../../lambdas/adapters/secrets-manager-app-secrets';
import { composeStepUpTriggers } from '../../../lambdas/composition/step-up-triggers';
import { STEP_UP_CLAIMS } from '../../../lambdas/handlers/triggers/trigger-support';
import type { StoredStepUp } from '../../../lambdas/ports/decision-store';
import { createTestTables, testDynamoClient } from '../../support/dynamodb';
import {
  ALICE,
  CONTEXT_OK,
  codeEntry,
  createEvent,
  DECISION_ISSUER,
  FEATURES,
  postAuthEvent,
  preTokenEvent,
  testPool,
  T0,
  verifyEvent,
} from '../../unit/triggers/support';
import { silentLog } from '../../support/recording-log';

/** The five triggers composed as in AWS (composeStepUpTriggers), on DynamoDB Local with the real audit log. */
describe('step-up triggers on DynamoDB Local', () => {
  const client = testDynamoClient();
  let tables: TableNames;
  const clock = { now: T0 };
  const sent: { to: string; code: string }[] = [];
  let auditFailures = 0;
  let triggers: ReturnType<typeof composeStepUpTriggers>;
  let pool: Awaited<ReturnType<typeof testPool>>;
  let seq = 0;
  afterAll(() => client.destroy());
  // What the triggers wrote, read back through the stores' own ports.
  const grants = () => new DynamoDbGrantStore(client, tables);
  const challenges = () => new DynamoDbChallengeStore(client, tables);

  beforeAll(async () => {
    tables = await createTestTables(client, 'stepup-triggers');
    pool = await testPool(() => clock.now);
    triggers = composeStepUpTriggers({
      dynamo: client,
      tables,
      clock: () => clock.now,
      secrets: new EphemeralAppSecrets((n) => randomBytes(n)),
      decisionTokenIssuer: DECISION_ISSUER,
      codeSender: { send: (m) => Promise.resolve(void sent.push({ to: m.to, code: m.code })) },
      accessTokens: pool.accessTokens,
      audit: new DynamoDbAuditLog({ client, tableName: tables.audit, now: () => clock.now, writer: 'test' }),
      onAuditFailure: () => (auditFailures += 1),
      log: silentLog,
      sleep: () => Promise.resolve(),
    });
  });

  async function pendingStepUp(): Promise<StoredStepUp> {
    const stepUp: StoredStepUp = {
      stepUpId: `su-${++seq}`,
      userId: ALICE.userName,
      action: 'payment.transfer',
      decisionId: `dec-${seq}`,
      acr: 'urn:stepgate:acr:otp',
      methods: ['email_otp', 'totp'],
      maxAgeSeconds: 300,
      status: 'pending',
      createdAt: clock.now,
      expiresAt: clock.now + 10 * 60_000,
      consumed: false,
      features: FEATURES,
      revision: 0,
    };
    await client.send(new PutItemCommand({ TableName: tables.risk, Item: stepUpToItem(stepUp) }));
    return stepUp;
  }

  async function issue(stepUpId: string) {
    const metadata = { stepUpId, accessToken: await pool.accessTokenOf(ALICE), method: 'email_otp' };
    const created = await triggers.createAuthChallenge(createEvent([CONTEXT_OK], { clientMetadata: metadata }));
    return {
      metadata,
      challengeId: created.response.privateChallengeParameters.challengeId as string,
      code: sent.at(-1)!.code,
    };
  }

  it('runs a whole step-up: context, wrong code, right code, claims, learning, audit', async () => {
    const stepUp = await pendingStepUp();
    const metadata = { stepUpId: stepUp.stepUpId, accessToken: await pool.accessTokenOf(ALICE), method: 'email_otp' };
    const context = await triggers.createAuthChallenge(createEvent([], { clientMetadata: metadata }));
    expect(context.response.publicChallengeParameters).toEqual({ step: 'context' });
    expect(
      (
        await triggers.verifyAuthChallengeResponse(
          verifyEvent({ step: 'context' }, 'context', { clientMetadata: metadata }),
        )
      ).response.answerCorrect,
    ).toBe(true);

    const first = await triggers.createAuthChallenge(createEvent([CONTEXT_OK], { clientMetadata: metadata }));
    const challengeId = first.response.privateChallengeParameters.challengeId as string;
    expect(first.response.publicChallengeParameters).toEqual({
      step: 'code',
      method: 'email_otp',
      destination: 'a***@e***.com',
    });
    expect(sent.at(-1)).toMatchObject({ to: ALICE.userName, code: expect.stringMatching(/^\d{6}$/) });
    const code = sent.at(-1)!.code;
    const wrong = code === '000000' ? '111111' : '000000';

    expect(
      (await triggers.verifyAuthChallengeResponse(verifyEvent({ challengeId }, wrong, { clientMetadata: metadata })))
        .response.answerCorrect,
    ).toBe(false);
    const retry = await triggers.createAuthChallenge(
      createEvent([CONTEXT_OK, codeEntry(challengeId, false)], { clientMetadata: metadata }),
    );
    expect(retry.response.privateChallengeParameters).toEqual({ challengeId });
    clock.now += 5000;
    expect(
      (await triggers.verifyAuthChallengeResponse(verifyEvent({ challengeId }, code, { clientMetadata: metadata })))
        .response.answerCorrect,
    ).toBe(true);

    const defined = await triggers.defineAuthChallenge({
      ...createEvent([]),
      triggerSource: 'DefineAuthChallenge_Authentication',
      request: {
        userAttributes: ALICE.attributes,
        session: [CONTEXT_OK, codeEntry(challengeId, false), codeEntry(challengeId, true)] as never,
        clientMetadata: metadata,
        userNotFound: false,
      },
      response: { issueTokens: false, failAuthentication: false },
    });
    expect(defined.response).toEqual({ issueTokens: true, failAuthentication: false });

    await triggers.postAuthentication(postAuthEvent({ clientMetadata: metadata }));
    const pre = await triggers.preTokenGeneration(preTokenEvent({ clientMetadata: metadata }));
    expect(JSON.stringify(pre.response)).toContain(`"${STEP_UP_CLAIMS.id}":"${stepUp.stepUpId}"`);

    const granted = await grants().getStepUp(stepUp.stepUpId, clock.now);
    expect(granted).toMatchObject({
      status: 'granted',
      grantedAt: clock.now,
      grantedMethod: 'email_otp',
      learnedAt: clock.now,
    });
    expect((await grants().loadProfile(ALICE.userName)).profile?.trustedEvents).toBe(1);
    expect(auditFailures).toBe(0);
  });

  it('race: 20 parallel verifications of one challenge count at most 3 tries and pass at most once', async () => {
    const stepUp = await pendingStepUp();
    clock.now += 31_000;
    const { challengeId, code } = await issue(stepUp.stepUpId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        triggers.verifyAuthChallengeResponse(verifyEvent({ challengeId }, i % 2 === 0 ? code : '000000')),
      ),
    );
    const passes = results.filter((r) => r.response.answerCorrect === true).length;
    expect(passes).toBeLessThanOrEqual(1);
    expect((await challenges().getChallenge(challengeId))!.tries).toBeLessThanOrEqual(3);
    const after = await grants().getStepUp(stepUp.stepUpId, clock.now);
    expect(after?.status).toBe(passes === 1 ? 'granted' : 'pending');
  });

  it('race: 20 parallel right answers grant at most once', async () => {
    const stepUp = await pendingStepUp();
    clock.now += 31_000;
    const { challengeId, code } = await issue(stepUp.stepUpId);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => triggers.verifyAuthChallengeResponse(verifyEvent({ challengeId }, code))),
    );
    expect(results.filter((r) => r.response.answerCorrect === true).length).toBeLessThanOrEqual(1);
    expect((await challenges().getChallenge(challengeId))!.tries).toBeLessThanOrEqual(3);
  });
});
