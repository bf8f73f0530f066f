import { ensureBundledAsnTable } from '../../tools/network-data/ip-location-db-asn';
import { openNetworkData, type NetworkDataStatus } from '../composition/network-data';

/** Names a table file, or `off`; default: the table built from the installed `@ip-location-db/asn`. */
export const NETWORK_DATA_ENV = 'STEPGATE_NETWORK_DATA';

const opened = new Map<string, NetworkDataStatus>();

/**
 * The ASN table of the local runtime (and of CLI commands that score). Built on first use from the installed
 * package (a few seconds, once per package version), then opened once per process and shared: tests start many
 * runtimes in one process, and each would otherwise hold its own copy of the table.
 */
export function localNetworkData(
  env: Readonly<Record<string, string | undefined>>,
  now: number,
  log?: (line: string) => void,
): NetworkDataStatus {
  let setting = env[NETWORK_DATA_ENV];
  if (setting === undefined || setting === '') {
    try {
      setting = ensureBundledAsnTable(log);
    } catch (error) {
      return {
        log: {
          level: 'error',
          message: 'network data unavailable: decisions carry no AS numbers',
          fields: { reason: (error as Error).message },
        },
      };
    }
  }
  let status = opened.get(setting);
  if (!status) {
    status = openNetworkData(setting, now);
    // A failure is not remembered: the file may be there on the next start.
    if (status.locator) opened.set(setting, status);
  }
  return status;
}

/** One line for people: which data, how old, or why there is none. */
export function describeNetworkData(status: NetworkDataStatus): string {
  const info = status.locator?.info;
  if (!info) {
    const { message, fields } = status.log;
    return typeof fields.reason === 'string' ? `${message} (${fields.reason})` : message;
  }
  const version = info.version ? ` ${info.version}` : '';
  return `${info.source}${version}, data of ${info.dataDate} (${status.ageDays ?? '?'} days old)`;
}
