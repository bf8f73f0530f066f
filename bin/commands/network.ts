import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, type Command } from '../cli';
import { parseIp } from '../../lambdas/core/net/ip';
import { AsnTableLocator } from '../../lambdas/adapters/asn-table/asn-table-locator';
import { buildAsnTable, NetworkDataError } from '../../tools/network-data/asn-table-builder';
import { AsnTableFormatError } from '../../lambdas/adapters/asn-table/asn-table-format';
import { openRangeFile } from '../../tools/network-data/asn-range-files';
import { ensureBundledAsnTable, rangesOf, writeTableFile } from '../../tools/network-data/ip-location-db-asn';
import { networkDataAgeDays } from '../../lambdas/composition/network-data';
import { NETWORK_DATA_ENV } from '../../lambdas/local/local-network-data';

const USAGE = `usage:
  stepgate network lookup [--data FILE] IP...      one JSON line per address: {"ip","asn","org","prefix"}
                                                   (asn null: private, reserved or unannounced); no IP: reads
                                                   addresses from stdin, one per line
  stepgate network info [--data FILE]              source, data date, age and size of the ASN table
  stepgate network build --in FILE [--in FILE...] --out FILE [--source NAME] [--data-date YYYY-MM-DD]
                                                   builds an ASN table from newer upstream data:
                                                     .csv  ip-location-db (asn-ipv4.csv + asn-ipv6.csv)
                                                     .tsv  iptoasn.com (ip2asn-v4.tsv, ip2asn-v6.tsv, ip2asn-combined.tsv)
                                                     .mmdb an ASN MaxMind DB (e.g. DB-IP ASN Lite)
                                                   any of them gzipped (.gz) too; the data date defaults to the
                                                   MMDB's build date, else the newest input file's date

--data defaults to $${NETWORK_DATA_ENV}, else the table built (once) from the installed @ip-location-db/asn in
.stepgate/network/. Attribution and licences: docs/network.md, NOTICE.`;

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
}

function openTable(file: string | undefined): AsnTableLocator {
  const path = file ?? process.env[NETWORK_DATA_ENV] ?? bundled();
  try {
    return AsnTableLocator.fromFile(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (error instanceof AsnTableFormatError) throw new CliError(`${path}: ${e.message}`);
    throw new CliError(`cannot read ${path}: ${e.code ?? e.message}`);
  }
}

function bundled(): string {
  try {
    return ensureBundledAsnTable((line) => console.error(line));
  } catch (error) {
    if (error instanceof NetworkDataError) throw new CliError(error.message);
    throw error;
  }
}

/** The answer for one address, as scripts read it: the same four fields every time. */
export function lookupLine(locator: AsnTableLocator, ip: string): { line: string; ok: boolean } {
  const text = ip.trim();
  if (!parseIp(text)) {
    return {
      line: JSON.stringify({ ip: text, asn: null, org: null, prefix: null, error: 'not an IP address' }),
      ok: false,
    };
  }
  const net = locator.lookup(text);
  return {
    line: JSON.stringify({ ip: text, asn: net?.asn ?? null, org: net?.org ?? null, prefix: net?.prefix ?? null }),
    ok: true,
  };
}

async function lookup(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { data: { type: 'string' } });
  const locator = openTable(values.data as string | undefined);
  let ok = true;
  const answer = (ip: string) => {
    const r = lookupLine(locator, ip);
    process.stdout.write(`${r.line}\n`);
    ok &&= r.ok;
  };
  if (positionals.length > 0) positionals.forEach(answer);
  else {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (line.trim() !== '') answer(line);
    }
  }
  return ok ? 0 : 1;
}

function info(args: string[]): number {
  const { values } = parse(args, { data: { type: 'string' } });
  const locator = openTable(values.data as string | undefined);
  const ageDays = networkDataAgeDays(locator.info, Date.now());
  console.log(JSON.stringify({ ...locator.info, ageDays }));
  return 0;
}

function build(args: string[]): number {
  const { values } = parse(args, {
    in: { type: 'string', multiple: true },
    out: { type: 'string' },
    source: { type: 'string' },
    'data-date': { type: 'string' },
  });
  const inputs = (values.in as string[] | undefined) ?? [];
  const out = values.out as string | undefined;
  if (inputs.length === 0 || !out) throw new CliError(`--in and --out are required\n\n${USAGE}`, 2);
  const dataDate = values['data-date'] as string | undefined;
  if (dataDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(dataDate)) {
    throw new CliError(`--data-date must be YYYY-MM-DD, got "${dataDate}"`, 2);
  }
  const started = Date.now();
  let table: Buffer;
  try {
    const files = inputs.map(openRangeFile);
    const dates = files.map((f) => f.dataDate ?? f.modified).sort();
    table = buildAsnTable(rangesOf(files), {
      source: (values.source as string | undefined) ?? files.map((f) => f.name).join(' + '),
      dataDate: dataDate ?? dates[dates.length - 1] ?? new Date().toISOString().slice(0, 10),
    });
  } catch (error) {
    if (error instanceof NetworkDataError) throw new CliError(error.message);
    throw error;
  }
  writeTableFile(out, table);
  const i = new AsnTableLocator(table).info;
  console.log(
    `${out}: ${i.ipv4Ranges} IPv4 + ${i.ipv6Ranges} IPv6 ranges, data of ${i.dataDate}, ` +
      `${(table.length / 1048576).toFixed(1)} MB, built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

export const networkCommand: Command = {
  summary: 'AS numbers of IP addresses: look addresses up, show or rebuild the ASN table',
  usage: USAGE,
  subcommands: ['lookup', 'info', 'build'],
  async run(args) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'lookup':
        return lookup(rest);
      case 'info':
        return info(rest);
      case 'build':
        return build(rest);
      case undefined:
        console.log(USAGE);
        return 2;
      default:
        throw new CliError(`unknown subcommand "${sub}"\n\n${USAGE}`, 2);
    }
  },
};
