import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { isGeneratedId } from '../contracts/identifiers';
import { METRICS } from '../contracts/metrics';
import type { Log, LogFields } from '../ports/log';

/** Powertools' log levels, plus SILENT (the local runtime's triggers unless asked for). */
export type LogLevelName = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/** The part of a Lambda context the log reads (the local runtime builds one per request too). */
export type InvocationContext = Pick<Context, 'awsRequestId'> & Partial<Pick<Context, 'functionName'>>;

/** Keys one invocation adds to each of its lines, named as Powertools names them. */
interface InvocationKeys {
  readonly function_request_id: string;
  readonly correlation_id: string;
  readonly cold_start: boolean;
  readonly function_name?: string;
}

/**
 * Keys Powertools owns: a field of that name would be dropped (with a warning line). Handlers summarise an
 * unexpected error as `{ name, message }`, so `message` is kept as `detail`; the others get a prefix.
 */
const RESERVED = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate']);

function withoutReserved(fields: LogFields): LogFields {
  if (!Object.keys(fields).some((key) => RESERVED.has(key))) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[RESERVED.has(key) ? (key === 'message' ? 'detail' : `field_${key}`) : key] = value;
  }
  return out;
}

/**
 * The Log port on the Powertools Logger: JSON lines with level, timestamp, service, the X-Ray trace id in AWS, and,
 * for everything logged while a handler wrapped by {@link PowertoolsLog.handler} runs, the invocation's Lambda
 * request id and a correlation id. The invocation's keys travel in AsyncLocalStorage rather than on the shared
 * logger: the local runtime serves concurrent requests in one process, and keys set on a shared logger would end up
 * on another request's lines.
 */
export class PowertoolsLog implements Log {
  readonly logger: Logger;
  private readonly invocation = new AsyncLocalStorage<InvocationKeys>();
  private coldStart = true;

  constructor(options: { readonly level?: LogLevelName } = {}) {
    this.logger = new Logger({
      serviceName: METRICS.serviceName,
      ...(options.level ? { logLevel: options.level } : {}),
    });
  }

  info(message: string, fields: LogFields = {}): void {
    this.logger.info(message, this.keyed(fields));
  }

  warn(message: string, fields: LogFields = {}): void {
    this.logger.warn(message, this.keyed(fields));
  }

  error(message: string, fields: LogFields = {}): void {
    this.logger.error(message, this.keyed(fields));
  }

  /**
   * Wraps a Lambda handler so that every line logged during an invocation, by the handler or anything it calls,
   * carries `function_request_id` and `correlation_id` (from `correlationIdOf`, else the request id).
   */
  handler<E, R, C extends InvocationContext>(
    fn: (event: E, context: C) => Promise<R>,
    correlationIdOf: (event: E) => string | undefined = () => undefined,
  ): (event: E, context: C) => Promise<R> {
    return (event, context) => {
      const keys: InvocationKeys = {
        function_request_id: context.awsRequestId,
        correlation_id: correlationIdOf(event) ?? context.awsRequestId,
        cold_start: this.coldStart,
        ...(context.functionName ? { function_name: context.functionName } : {}),
      };
      this.coldStart = false;
      return this.invocation.run(keys, () => fn(event, context));
    };
  }

  private keyed(fields: LogFields): LogFields {
    const keys = this.invocation.getStore();
    const own = withoutReserved(fields);
    return keys ? { ...keys, ...own } : own;
  }
}

const CORRELATION_ID_MAX_LENGTH = 128;
const PRINTABLE = /^[\x21-\x7e]+$/;

function readableId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= CORRELATION_ID_MAX_LENGTH && PRINTABLE.test(value)
    ? value
    : undefined;
}

/**
 * Where each kind of invocation finds its correlation id. Only values that are safe to print are taken: anything a
 * client sent is checked before it reaches a log line.
 */
export const correlationIds = {
  /** API Gateway's request id: the id in its access log and in the `apigw-requestid` header the client saw. */
  http: (event: { readonly requestContext?: { readonly requestId?: unknown } }): string | undefined =>
    readableId(event.requestContext?.requestId),
  /**
   * The step-up a Cognito ceremony is for (ClientMetadata.stepUpId, an id stepgate generated): it ties the trigger
   * rounds of one ceremony to each other and to the decision that asked for it. The first round has no metadata.
   */
  cognito: (event: { readonly request?: unknown }): string | undefined => {
    const metadata = (event.request as { clientMetadata?: { stepUpId?: unknown } } | undefined)?.clientMetadata;
    return isGeneratedId(metadata?.stepUpId) ? metadata.stepUpId : undefined;
  },
  /** The id of the EventBridge event that started a scheduled run. */
  scheduled: (event: unknown): string | undefined => readableId((event as { id?: unknown } | undefined)?.id),
};
