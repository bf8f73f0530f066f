import type { Device } from '../core/risk/types';

/** Turns a user-agent string into the device facts the engine scores. Never throws. */
export interface DeviceParser {
  parse(userAgent: string | undefined): Device;
}
