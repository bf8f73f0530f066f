import { GeoipLiteLocator, locateUncached } from '../../../lambdas/adapters/geoip-lite-locator';

describe('GeoipLiteLocator cache', () => {
  it('answers repeats from the cache with the same (frozen) result as a fresh lookup', () => {
    const geo = new GeoipLiteLocator();
    const first = geo.locate('12.45.10.20');
    expect(geo.locate('12.45.10.20')).toBe(first);
    expect(first).toEqual(locateUncached('12.45.10.20'));
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('stays bounded and keeps what was used since the last turnover', () => {
    const geo = new GeoipLiteLocator(4);
    const a = geo.locate('12.45.10.20');
    geo.locate('1.72.10.20');
    geo.locate('12.45.10.20');
    for (const ip of ['2.204.10.20', '81.167.144.58', '106.72.0.9', '8.8.4.4', '77.88.8.8']) geo.locate(ip);
    expect(geo.size).toBeLessThanOrEqual(4);
    const b = geo.locate('106.72.0.9');
    expect(geo.locate('106.72.0.9')).toBe(b);
    expect(a).toEqual(locateUncached('12.45.10.20'));
  });

  it('does not cache strings that are not addresses', () => {
    const geo = new GeoipLiteLocator();
    expect(geo.locate('not an ip')).toEqual({ kind: 'unknown' });
    expect(geo.size).toBe(0);
  });
});
