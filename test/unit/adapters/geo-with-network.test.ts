import { AsnTableLocator } from '../../../lambdas/adapters/asn-table/asn-table-locator';
import { ensureBundledAsnTable } from '../../../tools/network-data/ip-location-db-asn';
import { GeoipLiteLocator, locateUncached } from '../../../lambdas/adapters/geoip-lite-locator';

describe('GeoipLiteLocator with a network locator', () => {
  const network = AsnTableLocator.fromFile(ensureBundledAsnTable());

  it('puts the AS number into the geo of a public address, beside the place', () => {
    const geo = new GeoipLiteLocator(100, network);
    expect(geo.locate('12.45.10.20')).toMatchObject({ kind: 'public', country: 'US', city: 'New York', asn: '7018' });
    expect(geo.locate('24.193.1.10')).toMatchObject({ kind: 'public', country: 'US', city: 'New York', asn: '12271' });
    expect(geo.locate('::ffff:8.8.8.8')).toMatchObject({ kind: 'public', asn: '15169' });
    expect(geo.locate('2001:4860:4860::8888')).toMatchObject({ kind: 'public', asn: '15169' });
  });

  it('gives private and reserved addresses no AS number', () => {
    const geo = new GeoipLiteLocator(100, network);
    for (const ip of ['10.0.0.1', '::1', '203.0.113.7', '::ffff:192.168.0.1'])
      expect(geo.locate(ip).asn).toBeUndefined();
  });

  it('leaves the AS number out without a network locator, as before', () => {
    expect(locateUncached('12.45.10.20').asn).toBeUndefined();
    expect(locateUncached('12.45.10.20', network).asn).toBe('7018');
  });
});
