import type { IpAddress } from '../../net/ip';
import type { CompiledPolicy } from '../../policy/compiled-policy';
import type { ContextKeys } from '../context-keys';
import type { ContextSightings } from '../profile';
import type { EvaluationInput, Reason, UserProfile } from '../types';

/** Everything a signal may look at; built once per evaluation by the engine (`buildSignalContext`). */
export interface SignalContext {
  readonly input: EvaluationInput;
  readonly keys: ContextKeys;
  /**
   * The parsed client IP (`input.address` when the features carry a pseudonym); undefined when there is no address,
   * as in a replayed pseudonymized record: lists then match by `features.lists`.
   */
  readonly ip: IpAddress | undefined;
  readonly compiled: CompiledPolicy;
  /** The profile when it has at least one trusted session: novelty is only meaningful against a baseline. */
  readonly history: UserProfile | undefined;
  /** The keys' sightings in the trusted maps of `history` (all undefined without a history). */
  readonly seen: ContextSightings;
}

export type Signal = (ctx: SignalContext) => Reason[];

export function reason(code: string, points: number, detail: string): Reason {
  return { code, points, detail };
}
