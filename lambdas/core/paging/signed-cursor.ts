import { createHmac, timingSafeEqual } from 'node:crypto';
import { StepgateError } from '../errors';

/** A cursor this API did not produce, one that was altered, or one of another listing (HTTP 400 naming `cursor`). */
export class InvalidCursorError extends StepgateError {
  readonly field = 'cursor';

  constructor(message = 'cursor: not a cursor this API produced (or it was altered)') {
    super('invalid_cursor', message);
  }
}

/** Page cursors: opaque to clients, and unforgeable, so a store only ever resumes from a key it produced itself. */
export interface CursorCodec {
  /** `scope` names the listing (e.g. `audit.export`): a cursor of one listing does not open in another. */
  seal(scope: string, state: unknown): Promise<string>;
  /** The state sealed under `scope`; throws InvalidCursorError for anything else. Validate its shape after. */
  open(scope: string, cursor: string): Promise<unknown>;
}

const MAC_CHARS = 43; // 32 bytes of HMAC-SHA256, base64url without padding
/** Longest cursor accepted; real ones are a few hundred characters (a DynamoDB key and a day). */
export const MAX_CURSOR_CHARS = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The one cursor codec of every paged route: base64url(JSON state) followed by base64url(HMAC-SHA256(key, scope +
 * "\n" + that text)). The MAC is checked in constant time before the state is even parsed. The result is plain
 * base64url (no separator), so it travels unescaped in headers and query strings.
 */
export class SignedCursorCodec implements CursorCodec {
  private readonly key: () => Promise<Uint8Array>;

  constructor(key: Uint8Array | (() => Promise<Uint8Array>)) {
    this.key = typeof key === 'function' ? key : () => Promise.resolve(key);
  }

  private async mac(scope: string, body: string): Promise<Buffer> {
    return createHmac('sha256', await this.key())
      .update(`${scope}\n${body}`, 'utf8')
      .digest();
  }

  async seal(scope: string, state: unknown): Promise<string> {
    const body = Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
    return `${body}${(await this.mac(scope, body)).toString('base64url')}`;
  }

  async open(scope: string, cursor: string): Promise<unknown> {
    if (cursor.length <= MAC_CHARS || cursor.length > MAX_CURSOR_CHARS || !BASE64URL.test(cursor)) {
      throw new InvalidCursorError();
    }
    const body = cursor.slice(0, -MAC_CHARS);
    const given = Buffer.from(cursor.slice(-MAC_CHARS), 'base64url');
    const expected = await this.mac(scope, body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidCursorError();
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      throw new InvalidCursorError();
    }
  }
}
