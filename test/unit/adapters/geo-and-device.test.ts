import { readFileSync } from 'node:fs';
import { GeoipLiteLocator } from '../../../lambdas/adapters/geoip-lite-locator';
import { parseUncached, UaParserDeviceParser } from '../../../lambdas/adapters/ua-parser-device-parser';
import { BUNDLED_DATA_DIR } from '../../../tools/evaluation/user-agent-pool';

describe('GeoipLiteLocator', () => {
  const geo = new GeoipLiteLocator();

  it.each([
    ['12.45.10.20', 'US', 'New York'],
    ['1.72.10.20', 'JP', 'Tokyo'],
    ['2.204.10.20', 'DE', 'Berlin'],
  ])('places %s in %s / %s with coordinates', (ip, country, city) => {
    const hit = geo.locate(ip);
    expect(hit).toMatchObject({ kind: 'public', country, city });
    expect(typeof hit.lat).toBe('number');
    expect(hit.prefix).toBeDefined();
  });

  it('classifies private, loopback and documentation addresses without a location', () => {
    expect(geo.locate('10.1.2.3')).toMatchObject({ kind: 'private' });
    expect(geo.locate('127.0.0.1')).toMatchObject({ kind: 'loopback' });
    expect(geo.locate('::1')).toMatchObject({ kind: 'loopback' });
    expect(geo.locate('203.0.113.7')).toMatchObject({ kind: 'reserved' });
    expect(geo.locate('203.0.113.7').country).toBeUndefined();
  });

  it('locates IPv6 and never throws on garbage', () => {
    expect(geo.locate('2001:4860:4860::8888')).toMatchObject({ kind: 'public', country: 'US' });
    expect(geo.locate('not an ip')).toEqual({ kind: 'unknown' });
  });
});

interface UaCase {
  ua: string;
}

function uasFrom(file: string): string[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as UaCase[]).map((c) => c.ua).filter((ua) => typeof ua === 'string');
}

/** uap-core YAML: lines `  - user_agent_string: '...'` (quoted with ' or "). */
function uasFromYaml(file: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*-\s*user_agent_string:\s*(['"])(.*)\1\s*$/.exec(line);
    if (m?.[2] !== undefined) out.push(m[1] === "'" ? m[2].replace(/''/g, "'") : m[2]);
  }
  return out;
}

describe('UaParserDeviceParser on third-party corpora', () => {
  const shared = BUNDLED_DATA_DIR;
  const corpora: [string, string[]][] = [
    ['ua-parser-js browser-test.json', uasFrom(`${shared}/ua-parser-js-1.0.x/browser-test.json`)],
    ['ua-parser-js os-test.json', uasFrom(`${shared}/ua-parser-js-1.0.x/os-test.json`)],
    ['ua-parser-js device-test.json', uasFrom(`${shared}/ua-parser-js-1.0.x/device-test.json`)],
    ['uap-core test_ua.yaml', uasFromYaml(`${shared}/uap-core/tests/test_ua.yaml`)],
    ['uap-core test_os.yaml', uasFromYaml(`${shared}/uap-core/tests/test_os.yaml`)],
  ];

  it.each(corpora)('parses every user agent of %s without errors', (_name, uas) => {
    expect(uas.length).toBeGreaterThan(100);
    for (const ua of uas) {
      const device = parseUncached(ua);
      expect(typeof device.deviceType).toBe('string');
      expect(typeof device.isBot).toBe('boolean');
    }
  });

  it('recognises browsers, mobiles, bots and CLI clients', () => {
    const chrome = parseUncached(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    );
    expect(chrome).toMatchObject({
      uaFamily: 'Chrome',
      browserMajor: '120',
      os: 'Windows',
      deviceType: 'desktop',
      isBot: false,
    });
    const iphone = parseUncached(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    );
    expect(iphone).toMatchObject({ os: 'iOS', deviceType: 'mobile' });
    expect(parseUncached('curl/8.4.0')).toMatchObject({ isCli: true });
    expect(parseUncached('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).toMatchObject({
      isBot: true,
    });
    expect(
      parseUncached('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0.0.0 Safari/537.36'),
    ).toMatchObject({
      isHeadless: true,
    });
  });

  it('tells a missing user agent from a command-line client', () => {
    for (const missing of [undefined, '', '   ']) {
      expect(new UaParserDeviceParser().parse(missing)).toMatchObject({ uaMissing: true, isCli: false, isBot: false });
    }
    for (const cli of ['curl/8.4.0', 'python-requests/2.31.0', 'Wget/1.21.4', 'Go-http-client/2.0']) {
      const device = new UaParserDeviceParser().parse(cli);
      expect(device.isCli).toBe(true);
      expect(device.uaMissing).toBeUndefined();
    }
  });

  it('keeps its cache bounded and returns the cached result for repeats', () => {
    const parser = new UaParserDeviceParser(3);
    const first = parser.parse('Mozilla/5.0 A');
    parser.parse('Mozilla/5.0 B');
    parser.parse('Mozilla/5.0 C');
    expect(parser.parse('Mozilla/5.0 A')).toBe(first);
    parser.parse('Mozilla/5.0 D');
    expect(parser.size).toBe(3);
  });
});
