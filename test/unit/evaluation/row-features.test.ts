import type { Geo } from '../../../lambdas/core/risk/types';
import type { GeoLocator } from '../../../lambdas/ports/geo-locator';
import { countryCentroid } from '../../../tools/evaluation/country-centroids';
import type { RbaLogin } from '../../../tools/evaluation/rba-row';
import { rowGeo } from '../../../tools/evaluation/row-features';

const locator = (answers: Record<string, Geo>): GeoLocator => ({ locate: (ip) => answers[ip] ?? { kind: 'unknown' } });

const row = (over: Partial<RbaLogin>): RbaLogin => ({
  index: 0,
  timestamp: 0,
  userId: 'u',
  ip: '81.167.144.58',
  userAgent: 'ua',
  loginSuccessful: true,
  isAttackIp: false,
  isAccountTakeover: false,
  ...over,
});

const bergen: Geo = { kind: 'public', country: 'NO', region: '46', city: 'Bergen', lat: 60.39, lon: 5.32 };

describe('rowGeo', () => {
  it("takes country, region, city and ASN from the row's columns, not from the IP", () => {
    const geo = rowGeo(
      row({ country: 'NO', region: 'Vestland', city: 'Urangsvag', asn: '29695' }),
      locator({ '81.167.144.58': bergen }),
    );
    expect(geo).toMatchObject({
      kind: 'public',
      country: 'NO',
      region: 'Vestland',
      city: 'Urangsvag',
      asn: '29695',
      prefix: '81.167.144.0/24',
    });
  });

  it("keeps the row's ASN over the lookup's, and takes the lookup's when the row has none", () => {
    const located = locator({ '81.167.144.58': { ...bergen, asn: '2119' } });
    expect(rowGeo(row({ country: 'NO', asn: '29695' }), located).asn).toBe('29695');
    expect(rowGeo(row({ country: 'NO' }), located).asn).toBe('2119');
    expect(rowGeo(row({}), located).asn).toBe('2119');
    expect(rowGeo(row({ asn: '29695' }), located).asn).toBe('29695');
    expect(rowGeo(row({ country: 'NO' }), locator({ '81.167.144.58': bergen })).asn).toBeUndefined();
  });

  it('uses the country centroid when the IP does not geolocate to the row’s city (regenerated dataset IPs)', () => {
    const geo = rowGeo(row({ country: 'NO', city: 'Urangsvag' }), locator({ '81.167.144.58': bergen }));
    const [lat, lon] = countryCentroid('NO')!;
    expect(geo).toMatchObject({ lat, lon });
  });

  it('uses the IP coordinates when the locator agrees with the row on country and city', () => {
    const geo = rowGeo(row({ country: 'NO', region: '46', city: 'Bergen' }), locator({ '81.167.144.58': bergen }));
    expect(geo).toMatchObject({ lat: 60.39, lon: 5.32 });
  });

  it('treats private dataset addresses with a Country column as located (the columns describe the login)', () => {
    const geo = rowGeo(row({ ip: '10.0.65.171', country: 'NO' }), locator({}));
    expect(geo.kind).toBe('public');
    expect(geo.country).toBe('NO');
  });

  it('falls back to the locator when the row has no Country column, keeping the ASN column', () => {
    const geo = rowGeo(row({ asn: '2119' }), locator({ '81.167.144.58': bergen }));
    expect(geo).toMatchObject({ country: 'NO', city: 'Bergen', asn: '2119' });
  });

  it('knows the centre of the countries in the dataset', () => {
    for (const c of ['NO', 'US', 'SE', 'DE', 'ID', 'AU', 'CZ', 'MY', 'PK']) expect(countryCentroid(c)).toBeDefined();
    expect(countryCentroid('no')).toEqual(countryCentroid('NO'));
    expect(countryCentroid('ZZ')).toBeUndefined();
  });
});
