import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CodeDeliveryError, type CodeSender, type OneTimeCodeMessage } from '../ports/code-sender';

export interface SnsCodeSenderOptions {
  readonly productName?: string;
  /** Alphanumeric sender id, where the destination country supports one. */
  readonly senderId?: string;
}

/**
 * SMS one-time codes through SNS Publish to a phone number. `Transactional` routes the message for reliability
 * rather than cost. SMS is a restricted authenticator (NIST SP 800-63B §5.1.3.3: SIM swap, number porting,
 * interception), which is why the default policy offers it only up to medium sensitivity and TOTP is recommended.
 */
export class SnsCodeSender implements CodeSender {
  constructor(
    private readonly client: SNSClient,
    private readonly options: SnsCodeSenderOptions = {},
  ) {}

  async send(message: OneTimeCodeMessage): Promise<void> {
    if (message.channel !== 'sms') throw new CodeDeliveryError(message.channel);
    const product = this.options.productName ?? 'stepgate';
    try {
      await this.client.send(
        new PublishCommand({
          PhoneNumber: message.to,
          Message: `${message.code} is your ${product} verification code. Do not share it.`,
          MessageAttributes: {
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
            ...(this.options.senderId
              ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.options.senderId } }
              : {}),
          },
        }),
      );
    } catch (error) {
      throw new CodeDeliveryError('sms', { cause: { name: (error as Error)?.name } });
    }
  }
}
