import { NOVELTY_LEVELS, type Habits, type NoveltyLevel, type UserProfile } from './types';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * What a typical user's habits look like before their own history says otherwise: the share of logins that bring a
 * value not yet proven at each level. They are the prior of every user's own rates (`priorLogins` pseudo-logins at
 * these rates), so a user with little history is judged like most users and a long history speaks for itself.
 */
export const POPULATION_NOVELTY: Readonly<Record<NoveltyLevel, number>> = {
  net: 0.15,
  ip: 0.3,
  country: 0.03,
  region: 0.06,
  city: 0.1,
  ua: 0.05,
  uaVersion: 0.1,
  device: 0.1,
  travel: 0.02,
};

export function emptyHabits(at: number): Habits {
  return {
    at,
    n: 0,
    novel: { net: 0, ip: 0, country: 0, region: 0, city: 0, ua: 0, uaVersion: 0, device: 0, travel: 0 },
    hours: new Array<number>(24).fill(0),
  };
}

/** 2^(−elapsed / half-life): how much of a count made `elapsed` ms ago still weighs. */
export function decayFactor(elapsedMs: number, halfLifeDays: number): number {
  return elapsedMs <= 0 ? 1 : Math.pow(2, -elapsedMs / (halfLifeDays * DAY));
}

/** A user's habits as of `now`, read without copying: rates come from the decayed counts and the prior. */
export class HabitView {
  /** Decay of the stored counts up to now. */
  private readonly d: number;
  readonly n: number;

  constructor(
    private readonly habits: Habits | undefined,
    now: number,
    halfLifeDays: number,
    private readonly priorLogins: number,
  ) {
    this.d = habits ? decayFactor(now - habits.at, halfLifeDays) : 1;
    this.n = habits ? habits.n * this.d : 0;
  }

  /** Probability that this user's next login brings a value not yet proven at `level`. */
  novelty(level: NoveltyLevel): number {
    const novel = this.habits ? (this.habits.novel[level] ?? 0) * this.d : 0;
    const k = this.priorLogins;
    return (novel + k * POPULATION_NOVELTY[level]) / (this.n + k);
  }

  /**
   * Probability of a login at UTC hour `h` (0-23, fractional), from the user's hour-of-day counts smoothed over
   * the neighbouring hours, pulled towards a flat day by the prior.
   */
  hourProbability(h: number): number {
    const hours = this.habits?.hours;
    const k = this.priorLogins;
    if (!hours || hours.length !== 24) return 1 / 24;
    const i = Math.floor(h) % 24;
    const at = (j: number) => hours[(j + 24) % 24] ?? 0;
    const local = 0.5 * at(i) + 0.25 * (at(i - 1) + at(i + 1));
    let total = 0;
    for (let j = 0; j < 24; j++) total += at(j);
    return (local + k / 24) / (total + k);
  }
}

/**
 * Logins per day this user makes lately: their decayed count over the decayed length of their history, and never
 * more than one per the days they have now been silent (a user silent for 30 days is not a daily user today).
 */
export function activityRate(profile: UserProfile, now: number, halfLifeDays: number): number {
  const habits = profile.habits;
  if (!habits) return NaN;
  const n = habits.n * decayFactor(now - habits.at, halfLifeDays);
  const span = 1 - decayFactor(now - profile.createdAt, halfLifeDays);
  const long = span > 0 ? (n * Math.LN2) / halfLifeDays / span : NaN;
  const silentDays = profile.lastSeen === undefined ? 0 : (now - profile.lastSeen) / DAY;
  return silentDays > 1 ? Math.min(long, 1 / silentDays) : long;
}

/** Adds one login at `now` to the habits (decaying what was there), noting at which levels it brought novelty. */
export function recordHabit(
  habits: Habits | undefined,
  now: number,
  halfLifeDays: number,
  novel: Partial<Record<NoveltyLevel, boolean>>,
): Habits {
  const base = habits ?? emptyHabits(now);
  // A login older than the stored reference time (a late write) is added without decay rather than rewinding.
  const at = Math.max(base.at, now);
  const d = decayFactor(at - base.at, halfLifeDays);
  const next = emptyHabits(at);
  next.n = short(base.n * d + 1);
  for (const level of NOVELTY_LEVELS) {
    next.novel[level] = short((base.novel?.[level] ?? 0) * d + (novel[level] ? 1 : 0));
  }
  const hour = Math.floor((((now % DAY) + DAY) % DAY) / HOUR);
  for (let h = 0; h < 24; h++) next.hours[h] = short((base.hours?.[h] ?? 0) * d + (h === hour ? 1 : 0));
  return next;
}

/** Four decimals are plenty for decayed counts, and keep the stored profile small. */
function short(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
