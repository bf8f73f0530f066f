import { z } from 'zod';
import type { UserActor } from '../../application/actor';
import { InvalidRequestError, NotFoundError, PreconditionRequiredError } from '../http/api-errors';
import { callerOf } from '../http/caller';
import type { HttpEvent } from '../http/http-handler';

/** Request pieces shared by the admin routes: field schemas, query and path parameters, the caller. */

/** A policy document is far larger than a decision request; the 512 KiB leaves room for long IP lists. */
export const POLICY_BODY_BYTES = 512 * 1024;
const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

/** A candidate policy document: its fields are validated by the policy schema, which names each invalid one. */
export const policyDocument = z.record(z.string(), z.unknown());
/** Why a change is made: required, recorded with the change. */
export const reasonField = z.string().trim().min(1, 'required: say why').max(1000);
export const noteField = z.string().trim().max(1000).regex(NO_CONTROL_CHARS, 'must not contain control characters');

/** The caller and the request's id, as the workflows that audit reads need them. */
export function readerOf(event: HttpEvent): { actor: UserActor; requestId: string } {
  return { actor: callerOf(event), requestId: event.requestContext.requestId };
}

export function query(event: HttpEvent, name: string): string | undefined {
  const v = event.queryStringParameters?.[name];
  return v === undefined || v === '' ? undefined : v;
}

export function intParam(event: HttpEvent, name: string, min: number, max: number): number | undefined {
  const raw = query(event, name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new InvalidRequestError(`${name}: must be an integer from ${min} to ${max}`, name);
  }
  return Number(raw);
}

export function pathParam(event: HttpEvent, name: string): string {
  return event.pathParameters?.[name] ?? '';
}

/** A policy version in the path; anything else names no version (404). */
export function versionParam(event: HttpEvent, name = 'version'): number {
  const raw = pathParam(event, name);
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new NotFoundError('no such policy version');
  return Number(raw);
}

/** `If-Match: 3`, `"3"` or `W/"3"` → 3. */
export function expectedVersion(event: HttpEvent): number {
  const raw = event.headers?.['if-match'];
  if (raw === undefined || raw.trim() === '') {
    throw new PreconditionRequiredError(
      'If-Match: required; send the version you read (GET /v1/admin/policy returns it as the ETag)',
    );
  }
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(raw);
  if (!match?.[1]) throw new InvalidRequestError('If-Match: must be a policy version number, e.g. "3"', 'If-Match');
  return Number(match[1]);
}
