import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UAParser } from 'ua-parser-js';

/** The user-agent corpora shipped with the repository (`data/`, sources and licences in `data/SOURCES.md`). */
export const BUNDLED_DATA_DIR = join(__dirname, '../../data');

export type DeviceClass = 'desktop' | 'mobile' | 'tablet';

/** A real user agent and what ua-parser-js makes of it (the dataset's derived columns). */
export interface PooledUserAgent {
  ua: string;
  browser: string;
  os: string;
  deviceType: DeviceClass;
  /** Browser name + OS name: what a user keeps when the browser updates itself. */
  family: string;
}

export interface UserAgentPool {
  byClass: Record<DeviceClass, PooledUserAgent[]>;
  /** Automation clients (headless browsers, HTTP libraries) found in the same fixtures. */
  automation: string[];
}

const MAINSTREAM_BROWSERS = new Set([
  'Chrome',
  'Firefox',
  'Safari',
  'Mobile Safari',
  'Edge',
  'Opera',
  'Samsung Browser',
  'Chrome WebView',
  'Mobile Firefox',
  'Mobile Chrome',
]);
const MAINSTREAM_OS = new Set(['Windows', 'Mac OS', 'Android', 'iOS', 'Linux', 'Ubuntu', 'Chrome OS', 'Chromium OS']);
const AUTOMATION = /HeadlessChrome|PhantomJS|python-requests|curl\/|Wget|Go-http-client|okhttp|Java\//;

function classify(ua: string): PooledUserAgent | undefined {
  if (ua.length > 400 || AUTOMATION.test(ua) || /bot|crawl|spider/i.test(ua)) return undefined;
  const r = new UAParser(ua).getResult();
  const name = r.browser.name;
  const osName = r.os.name;
  if (!name || !osName || !r.browser.version || !MAINSTREAM_BROWSERS.has(name) || !MAINSTREAM_OS.has(osName))
    return undefined;
  const type = r.device.type ?? 'desktop';
  if (type !== 'desktop' && type !== 'mobile' && type !== 'tablet') return undefined;
  if (type === 'desktop' && (osName === 'Android' || osName === 'iOS')) return undefined;
  const browser = r.browser.version.split('.').slice(0, 3).join('.');
  return {
    ua,
    browser: `${name} ${browser}`,
    os: r.os.version ? `${osName} ${r.os.version}` : osName,
    deviceType: type,
    family: `${name}|${osName}`,
  };
}

/** `ua` fields of the ua-parser-js 1.0.x fixtures and `user_agent_string`s of uap-core's test yaml. */
async function rawUserAgents(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const file of ['browser-test.json', 'os-test.json', 'device-test.json']) {
    const cases = JSON.parse(await readFile(join(dataDir, 'ua-parser-js-1.0.x', file), 'utf8')) as { ua?: unknown }[];
    for (const c of cases) if (typeof c.ua === 'string') out.push(c.ua);
  }
  for (const file of ['tests/test_ua.yaml', 'tests/test_os.yaml', 'tests/test_device.yaml']) {
    const text = await readFile(join(dataDir, 'uap-core', file), 'utf8');
    // The yaml is a flat list; a line-level match avoids a yaml dependency.
    for (const m of text.matchAll(/^\s*-\s*user_agent_string:\s*(['"])(.*)\1\s*$/gm)) {
      const raw = m[2] ?? '';
      out.push(m[1] === "'" ? raw.replace(/''/g, "'") : raw.replace(/\\"/g, '"'));
    }
  }
  return out;
}

/**
 * Loads the user agents the generator uses from a folder laid out like the repository's `data/` (see
 * `data/SOURCES.md`): only
 * mainstream browsers on mainstream systems, as a login page sees them, sorted so the pool is the same on every
 * machine whatever the order of the files.
 */
export async function loadUserAgentPool(dataDir: string): Promise<UserAgentPool> {
  const raw = [...new Set(await rawUserAgents(dataDir))].sort();
  const pool: UserAgentPool = { byClass: { desktop: [], mobile: [], tablet: [] }, automation: [] };
  for (const ua of raw) {
    if (AUTOMATION.test(ua)) {
      pool.automation.push(ua);
      continue;
    }
    const c = classify(ua);
    if (c) pool.byClass[c.deviceType].push(c);
  }
  for (const cls of ['desktop', 'mobile', 'tablet'] as const) {
    if (pool.byClass[cls].length < 5) throw new Error(`too few ${cls} user agents in ${dataDir}`);
  }
  return pool;
}

/**
 * The same browser after an automatic update: the major version goes up by one. Browsers update every few weeks,
 * so a real user's exact user-agent string changes while browser family, OS and device stay.
 */
export function updatedUserAgent(agent: PooledUserAgent): PooledUserAgent {
  let bumped = false;
  const bump = (ua: string, token: RegExp) =>
    ua.replace(token, (_m, name: string, major: string) => {
      bumped = true;
      return `${name}${Number(major) + 1}`;
    });
  let ua = bump(agent.ua, /(Chrome\/|CriOS\/)(\d+)/);
  if (!bumped) ua = bump(ua, /(Firefox\/|FxiOS\/)(\d+)/);
  if (!bumped) ua = bump(ua, /(Version\/)(\d+)/);
  if (!bumped) return agent;
  return classify(ua) ?? agent;
}
