import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildAsnTable, NetworkDataError, type AsnRange } from './asn-table-builder';
import { FORMAT_VERSION, type AsnTableSource } from '../../lambdas/adapters/asn-table/asn-table-format';
import { openRangeFile, type RangeFile } from './asn-range-files';

/**
 * The bundled fallback data: `@ip-location-db/asn` from npm (RouteViews, the five RIRs' statistics via NRO, and
 * DB-IP's IP to ASN Lite; CC BY 4.0). Its npm channel is frozen (the project publishes new releases on GitHub
 * only), so it ages: operators who want current data rebuild the table from a newer release with
 * `stepgate network build` (docs/network.md).
 *
 * The table is built from the package, never committed: on first use into `.stepgate/network/` beside the
 * project's node_modules, named after the package version and the table format, so upgrading the package or the
 * format rebuilds it and nothing else does. npm 11 skips install scripts that are not allowed explicitly, so the
 * build cannot hang off `postinstall`; the CLI, the local runtime, the test setup and the CDK bundling call
 * {@link ensureBundledAsnTable} instead.
 */
export const BUNDLED_PACKAGE = '@ip-location-db/asn';
const FILES = ['asn-ipv4.csv', 'asn-ipv6.csv'] as const;
/** The package's licence and attribution files, shipped beside every copy of the table built from it. */
export const BUNDLED_LICENCE_FILES = ['ROUTEVIEWS-LICENSE', 'NRO_LICENSE', 'DBIP-LICENSE', 'MODIFICATIONS'] as const;

export interface BundledPackage {
  readonly dir: string;
  readonly version: string;
  /** From the version, which ip-location-db stamps with the data's date and hour (2.3.2026061719). */
  readonly dataDate: string;
}

export function bundledPackage(): BundledPackage {
  let manifest: string;
  try {
    manifest = require.resolve(`${BUNDLED_PACKAGE}/package.json`);
  } catch {
    throw new NetworkDataError(`${BUNDLED_PACKAGE} is not installed (run npm install)`);
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const stamp = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  if (!stamp) throw new NetworkDataError(`${BUNDLED_PACKAGE} ${version}: cannot read the data date from the version`);
  return { dir: dirname(manifest), version, dataDate: `${stamp[1]}-${stamp[2]}-${stamp[3]}` };
}

/** `<project>/.stepgate/network/`: the project is the folder whose node_modules holds the package. */
export function networkCacheDir(pkg: BundledPackage = bundledPackage()): string {
  return resolve(pkg.dir, '..', '..', '..', '.stepgate', 'network');
}

export function bundledAsnTablePath(pkg: BundledPackage = bundledPackage()): string {
  return join(networkCacheDir(pkg), `ip-location-db-asn-${pkg.version}.v${FORMAT_VERSION}.bin`);
}

/** Chains the ranges of several files (the IPv4 and IPv6 files of one release, typically). */
export function* rangesOf(files: readonly RangeFile[]): Generator<AsnRange> {
  for (const f of files) yield* f.ranges();
}

export function buildBundledAsnTable(pkg: BundledPackage = bundledPackage()): Buffer {
  const files = FILES.map((f) => openRangeFile(join(pkg.dir, f)));
  const info: AsnTableSource = { source: BUNDLED_PACKAGE, version: pkg.version, dataDate: pkg.dataDate };
  return buildAsnTable(rangesOf(files), info);
}

/**
 * The path of the table built from the installed package, building it first if needed (a few seconds, once per
 * package version), written so that concurrent callers never read half a file.
 */
export function ensureBundledAsnTable(log?: (line: string) => void): string {
  const pkg = bundledPackage();
  const path = bundledAsnTablePath(pkg);
  if (existsSync(path)) return path;
  log?.(`network data: building the ASN table from ${BUNDLED_PACKAGE} ${pkg.version} (once per version) ...`);
  const started = Date.now();
  const table = buildBundledAsnTable(pkg);
  writeTableFile(path, table);
  log?.(`network data: ${path} (${(table.length / 1048576).toFixed(1)} MB) in ${Date.now() - started} ms`);
  return path;
}

/** Writes to a temporary name and renames, so a concurrent reader sees the old file or the whole new one. */
export function writeTableFile(path: string, table: Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, table);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
