import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { OutboxCodeSender } from '../../../lambdas/adapters/outbox-code-sender';
import { SesCodeSender } from '../../../lambdas/adapters/ses-code-sender';
import { SnsCodeSender } from '../../../lambdas/adapters/sns-code-sender';
import { channelSender } from '../../../lambdas/composition/step-up-triggers';
import { Outbox } from '../../../lambdas/local/outbox';
import { CodeDeliveryError, type OneTimeCodeMessage } from '../../../lambdas/ports/code-sender';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const email: OneTimeCodeMessage = {
  channel: 'email',
  to: 'alice@example.com',
  code: '482913',
  sentAt: T0,
  expiresAt: T0 + 300_000,
};
const sms: OneTimeCodeMessage = {
  channel: 'sms',
  to: '+12223334455',
  code: '482913',
  sentAt: T0,
  expiresAt: T0 + 300_000,
};

describe('code senders', () => {
  const ses = mockClient(SESv2Client);
  const sns = mockClient(SNSClient);
  beforeEach(() => {
    ses.reset();
    sns.reset();
  });

  it('e-mails the code through SES v2 SendEmail from the configured sender', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await new SesCodeSender(new SESv2Client({}), { fromAddress: 'no-reply@stepgate.example' }).send(email);
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: 'no-reply@stepgate.example',
      Destination: { ToAddresses: ['alice@example.com'] },
    });
    expect(input.Content?.Simple?.Body?.Text?.Data).toContain('482913');
    expect(input.Content?.Simple?.Body?.Text?.Data).toContain('5 minutes');
    expect(input.Content?.Simple?.Subject?.Data).not.toContain('482913');
  });

  it('texts the code through SNS Publish as a transactional SMS', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    await new SnsCodeSender(new SNSClient({})).send(sms);
    const input = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      PhoneNumber: '+12223334455',
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    });
    expect(input.Message).toContain('482913');
  });

  it('reports provider failures as CodeDeliveryError that carries neither code nor address', async () => {
    ses.on(SendEmailCommand).rejects(new Error('MessageRejected for alice@example.com 482913'));
    const error = await new SesCodeSender(new SESv2Client({}), { fromAddress: 'x@y.example' })
      .send(email)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodeDeliveryError);
    expect(JSON.stringify({ message: (error as Error).message, cause: (error as Error).cause })).not.toMatch(
      /482913|alice/,
    );
    sns.on(PublishCommand).rejects(new Error('throttled'));
    await expect(new SnsCodeSender(new SNSClient({})).send(sms)).rejects.toBeInstanceOf(CodeDeliveryError);
  });

  it('routes by channel and refuses a channel it has no sender for', async () => {
    const sent: string[] = [];
    const router = channelSender({ email: { send: (m) => Promise.resolve(void sent.push(m.channel)) } });
    await router.send(email);
    await expect(router.send(sms)).rejects.toBeInstanceOf(CodeDeliveryError);
    expect(sent).toEqual(['email']);
  });

  it('the local outbox keeps messages newest last, per recipient, bounded', async () => {
    const outbox = new Outbox(3);
    const sender = new OutboxCodeSender(outbox);
    await sender.send(email);
    await sender.send(sms);
    await sender.send({ ...email, code: '111111', sentAt: T0 + 1000 });
    expect(outbox.list('ALICE@example.com')).toEqual([
      { to: 'alice@example.com', channel: 'email', code: '482913', sentAt: new Date(T0).toISOString() },
      { to: 'alice@example.com', channel: 'email', code: '111111', sentAt: new Date(T0 + 1000).toISOString() },
    ]);
    await sender.send({ ...email, code: '222222' });
    expect(outbox.list().map((m) => m.code)).toEqual(['482913', '111111', '222222']);
  });
});
