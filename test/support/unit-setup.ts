import { ensureBundledAsnTable } from '../../tools/network-data/ip-location-db-asn';

/**
 * What the unit suites need before the workers start: the ASN table, built once from the installed package (a
 * clone's first run pays a few seconds, later runs nothing), so parallel suites do not each build it.
 */
export default function unitSetup(): void {
  // Lambda runs Node 24; the SDK's notice about Node 20 support ending in 2027 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  ensureBundledAsnTable((line) => process.stderr.write(`\n${line}`));
}
