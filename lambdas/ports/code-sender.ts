import { StepgateError } from '../core/errors';

export type CodeChannel = 'email' | 'sms';

/** One one-time code on its way to the user. The code is in here and nowhere else: never log this object. */
export interface OneTimeCodeMessage {
  readonly channel: CodeChannel;
  /** E-mail address or E.164 phone number. */
  readonly to: string;
  readonly code: string;
  /** Epoch ms. */
  readonly sentAt: number;
  /** Epoch ms: stated in the message so the user knows how long the code works. */
  readonly expiresAt: number;
}

/** Delivers one-time codes (SES for e-mail, SNS for SMS, the local outbox when running locally). */
export interface CodeSender {
  /** Resolves once the provider accepted the message; throws CodeDeliveryError otherwise. */
  send(message: OneTimeCodeMessage): Promise<void>;
}

/** The provider refused or could not be reached. The message names the channel only, never the address or code. */
export class CodeDeliveryError extends StepgateError {
  constructor(
    readonly channel: CodeChannel,
    options?: { cause?: unknown },
  ) {
    super('code_delivery_failed', `could not deliver the one-time code by ${channel}`, options);
  }
}
