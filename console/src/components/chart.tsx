import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
}

interface ChartProps {
  readonly title: string;
  /** Epoch seconds (time axis) or, with `categories`, 0..n-1. */
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Category names of a bar chart (x is their index). */
  readonly categories?: readonly string[];
  readonly testId?: string;
  readonly height?: number;
}

/** A uPlot chart: lines over time, or grouped bars over categories. */
export function Chart({ title, x, series, categories, testId, height = 220 }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const bars = categories !== undefined;
    const width = Math.max(320, el.clientWidth || 640);
    const groups = series.length;
    const options: uPlot.Options = {
      title,
      width,
      height,
      scales: { x: { time: !bars, ...(bars ? { range: [-0.5, x.length - 0.5] as [number, number] } : {}) } },
      axes: [
        bars
          ? {
              values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? (categories[v] ?? '') : '')),
              splits: () => x.map((_, i) => i),
              rotate: 0,
            }
          : {},
        {},
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color,
          fill: bars ? s.color : undefined,
          width: bars ? 0 : 2,
          ...(bars
            ? {
                // Two series side by side: the first left of the category, the second right of it.
                paths: uPlot.paths.bars!({ size: [0.8 / groups, 80], align: groups === 1 ? 0 : i === 0 ? -1 : 1 }),
                points: { show: false },
              }
            : {}),
        })),
      ],
      legend: { show: true },
    };
    const data = [x as number[], ...series.map((s) => s.values as number[])] as uPlot.AlignedData;
    const plot = new uPlot(options, data, el);
    return () => plot.destroy();
  }, [title, x, series, categories, height]);
  return <div class="chart" ref={host} data-testid={testId} />;
}
