import { existsSync, readFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { REPO_ROOT } from './config';

/**
 * CPU profiles (the same data `node --cpu-prof` writes) and a summary of where the busy time went: by function
 * (self time) and by area (our code per folder, each npm package, Node internals, GC), so a missed budget can be
 * explained with measured shares instead of guesses.
 */
export interface ProfileSummary {
  /** Sampled time in ms, without idle (waiting for I/O). */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly byArea: readonly { readonly area: string; readonly ms: number; readonly pct: number }[];
  readonly byFunction: readonly { readonly fn: string; readonly ms: number; readonly pct: number }[];
}

function areaOf(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'V8/native (program)';
  if (url === '') return 'native';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? '?')}`;
  }
  const rel = relative(REPO_ROOT, path);
  if (rel.startsWith('..')) return path;
  const parts = rel.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? rel);
}

/**
 * Maps a bundled frame back to its source file through the bundle's source map (Node's own SourceMap class), so a
 * profile of the minified Lambda bundle still says zod, @smithy/core or lambdas/core rather than "index.js".
 */
export function bundleResolver(bundle: string): (url: string, line: number, column: number) => string | undefined {
  const mapFile = `${bundle}.map`;
  if (!existsSync(mapFile)) return () => undefined;
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  const target = resolve(bundle);
  return (url, line, column) => {
    if (url.replace(/^file:\/\//, '') !== target) return undefined;
    const entry = map.findEntry(line, column) as { originalSource?: string };
    return entry.originalSource ? resolve(dirname(target), entry.originalSource.replace(/^file:\/\//, '')) : undefined;
  };
}

export function summarizeProfile(
  profile: Profiler.Profile,
  top = 15,
  resolveSource?: (url: string, line: number, column: number) => string | undefined,
): ProfileSummary {
  const nodes = new Map<number, Profiler.ProfileNode>();
  for (const node of profile.nodes) nodes.set(node.id, node);
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // timeDeltas[i] is the time before sample i; attributing it to sample i is what DevTools does.
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  }
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const { functionName, lineNumber, columnNumber } = node.callFrame;
    const url = resolveSource?.(node.callFrame.url, lineNumber, columnNumber) ?? node.callFrame.url;
    const area = areaOf(url, functionName);
    if (area === 'idle') {
      idle += us;
      continue;
    }
    busy += us;
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const where = url
      ? `${areaOf(url, functionName)}:${relative(REPO_ROOT, url.replace(/^file:\/\//, ''))
          .split('/')
          .pop()}:${lineNumber + 1}`
      : area;
    const fn = `${functionName || '(anonymous)'} ${where}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => ({ ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0, key: k }));
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    byArea: rank(byArea).map(({ key, ms, pct }) => ({ area: key, ms, pct })),
    byFunction: rank(byFn).map(({ key, ms, pct }) => ({ fn: key, ms, pct })),
  };
}

export function summarizeProfileFile(
  path: string,
  top = 15,
  resolveSource?: (url: string, line: number, column: number) => string | undefined,
): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as Profiler.Profile, top, resolveSource);
}

/** Profiles `work` in this process through the inspector (no restart with --cpu-prof needed). */
export async function profile<T>(
  work: () => Promise<T>,
  samplingIntervalUs = 100,
): Promise<{ result: T; profile: Profiler.Profile }> {
  const session = new Session();
  session.connect();
  const post = <R>(method: string, params?: object) =>
    new Promise<R>((resolve, reject) =>
      session.post(method, params ?? {}, (error, out) => (error ? reject(error) : resolve(out as R))),
    );
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
    await post('Profiler.start');
    const result = await work();
    const { profile: p } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
    return { result, profile: p };
  } finally {
    session.disconnect();
  }
}

export function formatProfile(summary: ProfileSummary, title: string): string {
  const lines = [
    `${title}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle (waiting on I/O)`,
  ];
  lines.push('  by area (self time):');
  for (const a of summary.byArea.slice(0, 10)) lines.push(`    ${a.pct.toFixed(1).padStart(5)} %  ${a.area}`);
  lines.push('  hottest functions (self time):');
  for (const f of summary.byFunction.slice(0, 12)) lines.push(`    ${f.pct.toFixed(1).padStart(5)} %  ${f.fn}`);
  return lines.join('\n');
}
