import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { CodeDeliveryError, type CodeSender, type OneTimeCodeMessage } from '../ports/code-sender';

export interface SesCodeSenderOptions {
  /** A verified SES identity (SES_FROM_ADDRESS). */
  readonly fromAddress: string;
  /** Shown in the subject and body so users recognise the message. */
  readonly productName?: string;
  readonly configurationSetName?: string;
}

export function emailText(message: OneTimeCodeMessage, productName: string): { subject: string; body: string } {
  const minutes = Math.max(1, Math.round((message.expiresAt - message.sentAt) / 60_000));
  return {
    subject: `${productName} verification code`,
    body: [
      `Your ${productName} verification code is ${message.code}.`,
      `It expires in ${minutes} minutes and works once.`,
      '',
      'If you did not ask for it, do not share it with anyone: someone may know your password. Change it.',
    ].join('\n'),
  };
}

/** E-mail one-time codes through SES v2 SendEmail. */
export class SesCodeSender implements CodeSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesCodeSenderOptions,
  ) {}

  async send(message: OneTimeCodeMessage): Promise<void> {
    if (message.channel !== 'email') throw new CodeDeliveryError(message.channel);
    const { subject, body } = emailText(message, this.options.productName ?? 'stepgate');
    try {
      await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.fromAddress,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: subject, Charset: 'UTF-8' },
              Body: { Text: { Data: body, Charset: 'UTF-8' } },
            },
          },
          ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
        }),
      );
    } catch (error) {
      // The SDK error never contains the message body, but keep only its name: the caller may log the cause.
      throw new CodeDeliveryError('email', { cause: { name: (error as Error)?.name } });
    }
  }
}
