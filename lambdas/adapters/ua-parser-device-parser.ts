import { createHash } from 'node:crypto';
import { UAParser } from 'ua-parser-js';
import type { Device } from '../core/risk/types';
import type { DeviceParser } from '../ports/device-parser';

const HEADLESS = /headless|phantomjs|slimerjs|electron|puppeteer|playwright|selenium|webdriver/i;
const CLI = /^(curl|wget|python-requests|python-urllib|aiohttp|httpie|go-http-client|java\/|okhttp|axios|node-fetch|undici|libwww-perl|powershell|postmanruntime|insomnia)/i;
const BOT = /bot\b|crawler|spider|slurp|scrapy|facebookexternalhit|bingpreview|headlesschrome|python|scan/i;
/** User agents longer than this are truncated before parsing: ua-parser-js regexes are linear but not free. */
const MAX_UA_LENGTH = 512;

/**
 * ua-parser-js 1.x (MIT; 2.x is AGPL) behind the device port, with a bounded LRU cache: a few thousand user agents
 * cover nearly all traffic, and a parse costs ~20-100 µs while a cache hit costs well under 1 µs.
 */
export class UaParserDeviceParser implements DeviceParser {
  private readonly cache = new Map<string, Device>();

  constructor(private readonly capacity = 5000) {}

  parse(userAgent: string | undefined): Device {
    const ua = (userAgent ?? '').slice(0, MAX_UA_LENGTH).trim();
    const cached = this.cache.get(ua);
    if (cached) {
      // Re-insert to mark as most recently used (Map iterates in insertion order).
      this.cache.delete(ua);
      this.cache.set(ua, cached);
      return cached;
    }
    const device = parseUncached(ua);
    this.cache.set(ua, device);
    if (this.cache.size > this.capacity) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return device;
  }

  get size(): number {
    return this.cache.size;
  }
}

export function parseUncached(ua: string): Device {
  if (ua === '') return { deviceType: 'unknown', isBot: false, isHeadless: false, isCli: true };
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
