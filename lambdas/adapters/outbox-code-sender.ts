import type { CodeChannel, CodeSender, OneTimeCodeMessage } from '../ports/code-sender';

/** One delivered message as the local outbox serves it. */
export interface OutboxMessage {
  readonly to: string;
  readonly channel: CodeChannel;
  readonly code: string;
  /** ISO-8601 UTC. */
  readonly sentAt: string;
}

export interface OutboxSink {
  deliver(message: OutboxMessage): void;
}

/** Local runtime only: "sends" codes into an in-memory outbox that developers and tests read over HTTP. */
export class OutboxCodeSender implements CodeSender {
  constructor(private readonly sink: OutboxSink) {}

  send(message: OneTimeCodeMessage): Promise<void> {
    this.sink.deliver({
      to: message.to,
      channel: message.channel,
      code: message.code,
      sentAt: new Date(message.sentAt).toISOString(),
    });
    return Promise.resolve();
  }
}
