import { Readable } from 'node:stream';
import fc from 'fast-check';
import { CsvParser, csvLine, readCsv, type CsvRecord } from '../../../tools/evaluation/csv-reader';

function parseChunks(chunks: string[]): CsvRecord[] {
  const parser = new CsvParser();
  const out: CsvRecord[] = [];
  for (const c of chunks) parser.push(c, (r) => out.push(r));
  parser.end((r) => out.push(r));
  return out;
}

const fields = (text: string) => parseChunks([text]).map((r) => r.fields);

describe('CsvParser', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(fields('a,"b,c","say ""hi""","two\nlines"\n')).toEqual([['a', 'b,c', 'say "hi"', 'two\nlines']]);
  });

  it('reads the dataset style: a quoted user agent with commas between plain fields', () => {
    const line =
      '1,2020-02-03 12:43:43.549,"Mozilla/5.0 (Linux; Android 4.1) AppleWebKit/537.36 (KHTML, like Gecko)",False';
    expect(fields(line)).toEqual([
      [
        '1',
        '2020-02-03 12:43:43.549',
        'Mozilla/5.0 (Linux; Android 4.1) AppleWebKit/537.36 (KHTML, like Gecko)',
        'False',
      ],
    ]);
  });

  it('accepts CRLF, LF and CR line ends, skips blank lines and keeps empty fields', () => {
    expect(fields('a,b\r\n\r\nc,\n,d\re,f')).toEqual([
      ['a', 'b'],
      ['c', ''],
      ['', 'd'],
      ['e', 'f'],
    ]);
  });

  it('keeps an empty quoted field as one empty field', () => {
    expect(fields('""\n"",x\n')).toEqual([[''], ['', 'x']]);
  });

  it('keeps stray quotes inside an unquoted field and text after a closing quote, as spreadsheets do', () => {
    expect(fields('ab"c,"q"rest,d\n')).toEqual([['ab"c', 'qrest', 'd']]);
  });

  it('reports the line each record starts on, counting line breaks inside quotes', () => {
    const records = parseChunks(['h1,h2\n"a\nb",c\n\nd,e\n']);
    expect(records.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  it('rejects an unterminated quote at the end of input with its line', () => {
    expect(() => fields('a,b\nc,"never closed\n')).toThrow(/line 2: unterminated quoted field/);
  });

  it('gives the same records however the input is cut into chunks', () => {
    const text = 'x,"a,""b""\nc",y\r\nplain,,"",z\n"q"\n';
    const whole = fields(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(text.slice(from, p));
          from = p;
        }
        chunks.push(text.slice(from));
        expect(parseChunks(chunks).map((r) => r.fields)).toEqual(whole);
      }),
    );
  });

  it('reads back whatever csvLine writes', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é') });
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 5 }), (rows) => {
        const text = rows.map((r) => csvLine(r)).join('\n');
        expect(fields(text)).toEqual(rows);
      }),
    );
  });
});

describe('readCsv', () => {
  it('streams records from a byte stream, decoding UTF-8 split across chunks', async () => {
    const bytes = Buffer.from('name,city\n"Ø, Å",Tromsø\n', 'utf8');
    const split = bytes.indexOf(0xc3) + 1; // inside the two-byte "Ø"
    const stream = Readable.from([bytes.subarray(0, split), bytes.subarray(split)]);
    const out: string[][] = [];
    for await (const r of readCsv(stream)) out.push(r.fields);
    expect(out).toEqual([
      ['name', 'city'],
      ['Ø, Å', 'Tromsø'],
    ]);
  });
});
