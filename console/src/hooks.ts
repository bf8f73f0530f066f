import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Loaded<T> {
  readonly data?: T;
  readonly error?: string;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` when `key` changes (and on reload); keeps the last answer while a new one loads. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error: error.message, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function fmtTime(iso: string | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export const RANGES: readonly { readonly label: string; readonly hours: number }[] = [
  { label: 'last hour', hours: 1 },
  { label: 'last 24 hours', hours: 24 },
  { label: 'last 7 days', hours: 24 * 7 },
  { label: 'last 30 days', hours: 24 * 30 },
];

export function windowOf(hours: number): { from: string; to: string } {
  const to = Date.now() + 60_000;
  return { from: new Date(to - hours * 3_600_000).toISOString(), to: new Date(to).toISOString() };
}
