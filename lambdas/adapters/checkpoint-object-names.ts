/**
 * Names of checkpoint objects, shared by the S3 and the file store: `<trail>/<inverted seq>-<seq>.json`, where the
 * inverted number (10^12 - 1 - seq, 12 digits) makes the newest checkpoint sort first, so "the latest" is one
 * listing of one key rather than a walk through every checkpoint ever written.
 */
const MAX_SEQ = 999_999_999_999;
const NAME = /^(\d{12})-(\d{1,12})\.json$/;

export function checkpointObjectName(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`bad checkpoint number ${seq}`);
  return `${String(MAX_SEQ - seq).padStart(12, '0')}-${seq}.json`;
}

/** The checkpoint number a name stands for, or undefined for a name this scheme did not produce. */
export function checkpointSeqOf(name: string): number | undefined {
  const match = NAME.exec(name);
  if (!match) return undefined;
  const seq = Number(match[2]);
  return MAX_SEQ - Number(match[1]) === seq && seq >= 1 ? seq : undefined;
}
