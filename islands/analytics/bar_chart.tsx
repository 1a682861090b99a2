/**
 * A bar chart of labelled values, drawn with uPlot on a canvas once the island runs (uPlot sets
 * its elements' sizes through the CSSOM, which the pages' CSP allows; its few layout rules are in
 * static/styles.css). Hidden from screen readers: every chart has a table of the same figures
 * right after it. One or two series; a second one may have a scale of its own (right axis).
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/** One series of bars. */
export interface BarSeries {
  label: string;
  values: number[];
  /** CSS colour of its bars. */
  color: string;
  /** Its own scale (and a right-hand axis) instead of the first series'. */
  ownScale?: boolean;
  format: (value: number) => string;
}

export interface BarChartProps {
  labels: string[];
  series: BarSeries[];
  height?: number;
}

const AXIS = { stroke: "#50555e", grid: { stroke: "#e4e6ea", width: 1 }, ticks: { show: false } };

export function BarChart(props: BarChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = box.current;
    if (!target || !props.labels.length) return;
    const height = props.height ?? 220;
    const n = props.labels.length;
    const xs = props.labels.map((_, i) => i);
    const many = props.series.length > 1;
    const yRange = (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [
      0,
      max > 0 ? max * 1.1 : 1,
    ];
    const labelSize = (values: string[] | null) =>
      16 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length));
    const chart = new uPlot(
      {
        width: Math.max(200, target.clientWidth),
        height,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: {
          x: { time: false, range: [-0.5, n - 0.5] },
          y: { range: yRange },
          y2: { range: yRange },
        },
        axes: [
          {
            ...AXIS,
            grid: { show: false },
            splits: () => xs,
            // As many labels as fit: every k-th one, so none overlap.
            values: (u, splits) => {
              const longest = Math.max(...props.labels.map((l) => short(l).length), 1);
              const every = Math.max(1, Math.ceil(n * (longest * 6.5 + 10) / Math.max(1, u.width)));
              return splits.map((i) => i % every === 0 ? short(props.labels[i] ?? "") : "");
            },
          },
          {
            ...AXIS,
            scale: "y",
            values: (_u, splits) => splits.map((v) => props.series[0].format(v)),
            size: (_u, values) => labelSize(values),
          },
          ...(props.series[1]?.ownScale
            ? [{
              ...AXIS,
              side: 1 as const,
              scale: "y2",
              grid: { show: false },
              values: (_u: uPlot, splits: number[]) => splits.map((v) => props.series[1].format(v)),
              size: (_u: uPlot, values: string[]) => labelSize(values),
            }]
            : []),
        ],
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            scale: s.ownScale ? "y2" : "y",
            stroke: s.color,
            fill: s.color,
            width: 0,
            points: { show: false },
            paths: uPlot.paths.bars!({
              size: [many ? 0.38 : 0.7, 64],
              align: many ? (i === 0 ? -1 : 1) : 0,
            }),
          })),
        ],
      },
      [xs, ...props.series.map((s) => s.values)],
      target,
    );
    const resized = new ResizeObserver(() => {
      const width = Math.max(200, target.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height });
    });
    resized.observe(target);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [props.labels.join("\n"), props.series.map((s) => s.values.join(",")).join(";")]);

  return (
    <div class="chart-box">
      {props.series.length > 1 && (
        <ul class="chart-legend" aria-hidden="true">
          {props.series.map((s) => (
            <li key={s.label}>
              <span class={`swatch swatch-${props.series.indexOf(s)}`} />
              {s.label}
            </li>
          ))}
        </ul>
      )}
      <div class="chart" ref={box} aria-hidden="true" />
    </div>
  );
}

function short(label: string): string {
  return label.length > 14 ? `${label.slice(0, 13)}…` : label;
}
