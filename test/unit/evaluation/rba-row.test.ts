import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../../tools/evaluation/csv-reader';
import {
  formatRbaRow,
  parseRbaRecord,
  parseTimestamp,
  RbaHeader,
  RBA_COLUMNS,
  type RbaLogin,
} from '../../../tools/evaluation/rba-row';
import { CsvParser, csvLine } from '../../../tools/evaluation/csv-reader';

const SAMPLE = join(__dirname, '../../fixtures/rba-sample.csv');

async function readSample(): Promise<RbaLogin[]> {
  let header: RbaHeader | undefined;
  const rows: RbaLogin[] = [];
  let ordinal = 0;
  for await (const record of readCsv(createReadStream(SAMPLE))) {
    if (!header) header = new RbaHeader(record.fields);
    else rows.push(parseRbaRecord(header, record.fields, record.line, ordinal++));
  }
  return rows;
}

describe('the RBA dataset sample (19 rows)', () => {
  it('parses every row, with quoted user agents holding commas', async () => {
    const rows = await readSample();
    expect(rows).toHaveLength(19);
    expect(rows.map((r) => r.index)).toEqual([...Array(19).keys()]);
    expect(rows[1]?.userAgent).toBe(
      'Mozilla/5.0  (Linux; Android 4.1; Galaxy Nexus Build/JRN84D) AppleWebKit/537.36 (KHTML, like Gecko Chrome/46.0.2490.76 Mobile Safari/537.36 Browser',
    );
    expect(rows[0]?.userAgent).toContain('Firefox/20.0.0.1618');
  });

  it('reads the derived columns, "-" as unknown, booleans, RTT and UTC timestamps', async () => {
    const rows = await readSample();
    const r2 = rows[2]!;
    expect(r2).toMatchObject({
      userId: '-3284137479262433373',
      ip: '81.167.144.58',
      country: 'NO',
      region: 'Vestland',
      city: 'Urangsvag',
      asn: '29695',
      browser: 'Android 2.3.3.2672',
      deviceType: 'mobile',
      loginSuccessful: true,
      isAttackIp: false,
      isAccountTakeover: false,
      timestamp: Date.UTC(2020, 1, 3, 12, 43, 55, 873),
    });
    expect(rows[0]?.region).toBeUndefined();
    expect(rows[0]?.rttMs).toBeUndefined();
    expect(rows[15]?.rttMs).toBe(1123);
    expect(rows[4]?.isAttackIp).toBe(true);
    expect(rows.filter((r) => r.isAccountTakeover)).toHaveLength(0);
  });
});

describe('RBA rows', () => {
  it('names the missing columns of a file in another schema', () => {
    expect(() => new RbaHeader(['a', 'b'])).toThrow(/missing column\(s\) Login Timestamp, User ID, IP Address/);
  });

  it('rejects a bad boolean or timestamp with the line number', () => {
    const header = new RbaHeader([...RBA_COLUMNS]);
    const good = [
      '0',
      '2020-02-03 12:43:30.772',
      'u',
      '',
      '1.2.3.4',
      'NO',
      '-',
      '-',
      '1',
      'ua',
      '',
      '',
      '',
      'True',
      'False',
      'False',
    ];
    expect(() => parseRbaRecord(header, good.with(13, 'maybe'), 7, 0)).toThrow(
      /line 7: Login Successful must be True or False/,
    );
    expect(() => parseRbaRecord(header, good.with(1, 'yesterday'), 8, 0)).toThrow(/line 8: bad Login Timestamp/);
  });

  it('reads timestamps in the dataset form, ISO-8601 and epoch ms', () => {
    expect(parseTimestamp('2020-02-03 12:43:30.772')).toBe(Date.UTC(2020, 1, 3, 12, 43, 30, 772));
    expect(parseTimestamp('2020-02-03 12:43:30')).toBe(Date.UTC(2020, 1, 3, 12, 43, 30));
    expect(parseTimestamp('2020-02-03T12:43:30.5Z')).toBe(Date.UTC(2020, 1, 3, 12, 43, 30, 500));
    expect(parseTimestamp('2020-02-03T12:43:30+01:00')).toBe(Date.UTC(2020, 1, 3, 11, 43, 30));
    expect(parseTimestamp('1580733810772')).toBe(1580733810772);
    expect(parseTimestamp('nonsense')).toBeNaN();
  });

  it('writes rows that read back the same', () => {
    const row: RbaLogin = {
      index: 5,
      timestamp: Date.UTC(2020, 1, 3, 1, 2, 3, 45),
      userId: '-42',
      ip: '84.213.38.40',
      country: 'NO',
      region: '03',
      city: 'Oslo',
      asn: '2119',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0 "quoted"',
      browser: 'Chrome 86.0',
      os: 'Linux',
      deviceType: 'desktop',
      loginSuccessful: true,
      isAttackIp: false,
      isAccountTakeover: true,
    };
    const parser = new CsvParser();
    const records: string[][] = [];
    parser.push(`${csvLine(RBA_COLUMNS)}\n${formatRbaRow(row)}\n`, (r) => records.push(r.fields));
    const header = new RbaHeader(records[0]!);
    expect(parseRbaRecord(header, records[1]!, 2, 0)).toEqual(row);
  });
});
