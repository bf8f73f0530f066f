import type { IpAddress } from '../../net/ip';
import type { CompiledPolicy } from '../../policy/compiled-policy';
import type { ContextKeys } from '../context-keys';
import type { HabitView } from '../habits';
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
  /** The profile when it has at least one recorded login: novelty is only meaningful against a baseline. */
  readonly history: UserProfile | undefined;
  /**
   * The keys' known sightings in `history`: trusted and not faded, or pending from an earlier day with no failure
   * since (see `knownSighting`); undefined: new to the user.
   */
  readonly seen: ContextSightings;
  /** The user's habits as of the request (novelty rates, hours); a typical user's when there is no history. */
  readonly habits: HabitView;
}

export type Signal = (ctx: SignalContext) => Reason[];

export function reason(code: string, points: number, detail: string): Reason {
  return { code, points, detail };
}
