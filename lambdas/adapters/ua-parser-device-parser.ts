import { createHash } from 'node:crypto';
import { UAParser } from 'ua-parser-js';
import type { Device } from '../core/risk/types';
import type { DeviceParser } from '../ports/device-parser';

const HEADLESS = /headless|phantomjs|slimerjs|electron|puppeteer|playwright|selenium|webdriver/i;
const CLI =
  /^(curl|wget|python-requests|python-urllib|aiohttp|httpie|go-http-client|java\/|okhttp|axios|node-fetch|undici|libwww-perl|powershell|postmanruntime|insomnia)/i;
const BOT = /bot\b|crawler|spider|slurp|scrapy|facebookexternalhit|bingpreview|headlesschrome|python|scan/i;
/** User agents longer than this are truncated before parsing: ua-parser-js regexes are linear but not free. */
const MAX_UA_LENGTH = 512;

/**
 * ua-parser-js 1.x (MIT; 2.x is AGPL) behind the device port, with a bounded cache: a few thousand user agents
 * cover nearly all traffic, and a parse costs ~20-100 µs while a cache hit costs well under 1 µs.
 *
 * The cache has two generations rather than a strict LRU: a hit in the young map is a single `Map.get` (a strict
 * LRU deletes and re-inserts on every hit, ~3x the cost of the lookup: bench/README.md); an entry found in the old
 * map is promoted; when the young map reaches half the capacity it becomes the old one and the previous old one is
 * dropped. So at most `capacity` entries are held and whatever was used since the last turnover stays.
 */
export class UaParserDeviceParser implements DeviceParser {
  private young = new Map<string, Device>();
  private old = new Map<string, Device>();
  private readonly half: number;

  constructor(capacity = 5000) {
    this.half = Math.max(1, Math.ceil(capacity / 2));
  }

  parse(userAgent: string | undefined): Device {
    const ua = (userAgent ?? '').slice(0, MAX_UA_LENGTH).trim();
    const hit = this.young.get(ua);
    if (hit) return hit;
    const aged = this.old.get(ua);
    if (aged) {
      this.old.delete(ua);
      this.remember(ua, aged);
      return aged;
    }
    const device = parseUncached(ua);
    this.remember(ua, device);
    return device;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private remember(ua: string, device: Device): void {
    this.young.set(ua, device);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

export function parseUncached(ua: string): Device {
  // No header is missing data, not a command-line client (curl and friends do send one).
  if (ua === '') return { deviceType: 'unknown', isBot: false, isHeadless: false, isCli: false, uaMissing: true };
  const result = new UAParser(ua).getResult();
  const isCli = CLI.test(ua);
  const isHeadless = HEADLESS.test(ua);
  const isBot = !isCli && BOT.test(ua);
  return {
    ...(result.browser.name ? { uaFamily: result.browser.name } : {}),
    ...(result.browser.major ? { browserMajor: result.browser.major } : {}),
    ...(result.os.name ? { os: result.os.name } : {}),
    deviceType: result.device.type ?? (isCli || isBot ? 'unknown' : 'desktop'),
    isBot,
    isHeadless,
    isCli,
    uaKey: createHash('sha256').update(ua).digest('base64url').slice(0, 16),
  };
}
