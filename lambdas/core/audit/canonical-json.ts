import { StepgateError } from '../errors';

/** A value that cannot be encoded canonically (not a JSON type, or a number JSON cannot carry). */
export class CanonicalEncodingError extends StepgateError {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super('audit_not_canonical', `${path || '(root)'}: ${message}`);
  }
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalEncodingError('non-finite number', path);
      // DynamoDB stores numbers as decimal strings and lib-dynamodb refuses to read back unsafe integers, so an
      // unsafe integer would hash differently (or not at all) after a round trip through the table.
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw new CanonicalEncodingError('integer beyond 2^53 cannot round-trip through DynamoDB', path);
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((item, i) => {
            // Dropping or nulling an array slot would silently change the meaning of a record: refuse it instead.
            if (item === undefined) throw new CanonicalEncodingError('undefined inside an array', `${path}[${i}]`);
            return encode(item, `${path}[${i}]`);
          })
          .join(',')}]`;
      }
      if (!isPlainObject(value)) {
        throw new CanonicalEncodingError(`${value.constructor?.name ?? 'object'} is not a JSON type`, path);
      }
      const parts: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const item = value[key];
        if (item === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${encode(item, path ? `${path}.${key}` : key)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new CanonicalEncodingError(`${typeof value} is not a JSON type`, path);
  }
}

/**
 * The canonical encoding that audit hashes are computed over. It is JSON with:
 * - object keys sorted recursively by UTF-16 code units (JavaScript's default sort, as in RFC 8785 / JCS);
 * - no whitespace anywhere;
 * - properties whose value is `undefined` dropped (as JSON.stringify and lib-dynamodb's `removeUndefinedValues` do);
 * - strings and numbers written as ECMAScript's JSON.stringify writes them (shortest round-trip number form, `-0`
 *   as `0`), which is also what RFC 8785 prescribes;
 * - only JSON types accepted: null, booleans, finite numbers (integers within ±2^53), strings, arrays and plain
 *   objects. Anything else (undefined in an array, NaN, Date, Map, BigInt, class instances, functions) throws a
 *   CanonicalEncodingError rather than being coerced, so two different values can never encode alike.
 * For the values it accepts, the output equals RFC 8785 (JSON Canonicalization Scheme), so an auditor can
 * recompute hashes with any JCS implementation.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '');
}
