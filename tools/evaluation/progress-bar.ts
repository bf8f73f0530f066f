/** A one-line progress bar on a terminal; on a pipe or file, a line every 10 % instead of carriage returns. */
export function progressBar(
  out: NodeJS.WriteStream,
  label: string,
): { update: (done: number, total: number, rows: number) => void; done: () => void } {
  const started = Date.now();
  let lastDecile = -1;
  let drawn = false;
  return {
    update(done, total, rows) {
      const f = total > 0 ? Math.min(1, done / total) : 0;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
      const eta = f > 0 ? Math.round(seconds / f - seconds) : 0;
      const text = `${label} ${(f * 100).toFixed(1).padStart(5)} %  ${rows} rows  ${rate} rows/s  eta ${eta} s`;
      if (out.isTTY) {
        const width = 30;
        const filled = Math.round(f * width);
        out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
        drawn = true;
      } else if (Math.floor(f * 10) > lastDecile) {
        lastDecile = Math.floor(f * 10);
        out.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
