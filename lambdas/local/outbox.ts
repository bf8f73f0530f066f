import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OutboxMessage, OutboxSink } from '../adapters/outbox-code-sender';
import { sendJson } from './http-gateway';
import type { LocalService } from './local-wiring';

/** Messages kept; the oldest are dropped first, so a long-running `npm start` does not grow without bound. */
const OUTBOX_LIMIT = 1000;

/**
 * Where the local runtime "sends" one-time codes: kept in memory and served at `GET /local/outbox?to=<address>`
 * as `{"messages":[{"to","channel","code","sentAt"}]}`, newest last. Exists only in the local runtime; nothing
 * in AWS serves codes over HTTP.
 */
export class Outbox implements OutboxSink, LocalService {
  private readonly messages: OutboxMessage[] = [];

  constructor(private readonly limit = OUTBOX_LIMIT) {}

  deliver(message: OutboxMessage): void {
    this.messages.push(message);
    if (this.messages.length > this.limit) this.messages.splice(0, this.messages.length - this.limit);
  }

  /** Messages to `to` (case-insensitive for addresses), or all of them, oldest first. */
  list(to?: string): OutboxMessage[] {
    if (to === undefined || to === '') return [...this.messages];
    const wanted = to.trim().toLowerCase();
    return this.messages.filter((message) => message.to.toLowerCase() === wanted);
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    return Promise.resolve(this.serve(req, res, url));
  }

  private serve(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname !== '/local/outbox') return false;
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') {
      sendJson(res, 405, { message: 'Method Not Allowed' }, { allow: 'GET' });
      return true;
    }
    sendJson(
      res,
      200,
      { messages: this.list(url.searchParams.get('to') ?? undefined) },
      { 'cache-control': 'no-store' },
    );
    return true;
  }
}
