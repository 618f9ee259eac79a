import { memo, useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DashboardFeed } from '../dashboard-feed.js';
import type { Metric, SeriesBuffer } from '../series.js';

export interface SeriesSpec {
  metric: Metric;
  label: string;
  colour: string;
  /** The right-hand axis (second unit) instead of the left one. */
  right?: boolean;
  dash?: number[];
}

export interface ChartSpec {
  title: string;
  series: SeriesSpec[];
  /** Axis ticks and legend values of the left axis, with their unit. */
  format: (value: number) => string;
  rightFormat?: (value: number) => string;
  /** A fixed top for the left axis (queue fill: 100 %). */
  max?: number;
}

const HEIGHT = 170;
/** The x axis spans at least this much, so the first seconds of data do not fill the width. */
const MIN_SPAN_S = 60;
const AXIS = '#6b7385';
const GRID = '#eceef2';
const FONT = '11px Inter, system-ui, sans-serif';

/** Zero-based, with some headroom, never a flat [0, 0]. */
function valueRange(top?: number): uPlot.Scale.Range {
  return (_u, _min, max) => {
    if (top !== undefined) return [0, top];
    const m = Number.isFinite(max) && max > 0 ? max : 0;
    return [0, m > 0 ? m * 1.15 : 1];
  };
}

function axis(format: (v: number) => string, side: 1 | 3, scale: string, grid: boolean): uPlot.Axis {
  return {
    scale,
    side,
    stroke: AXIS,
    font: FONT,
    size: 58,
    gap: 4,
    grid: { show: grid, stroke: GRID, width: 1 },
    ticks: { show: false },
    values: (_u, splits) => splits.map((v) => (v === 0 ? '0' : format(v))),
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** Axis times: "14:03:20", or "14:03" once the span is long enough that seconds are noise. */
function clock(seconds: number, withSeconds: boolean): string {
  const d = new Date(seconds * 1000);
  const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
  return withSeconds ? `${hm}:${two(d.getSeconds())}` : hm;
}

function options(spec: ChartSpec, width: number, windowS: { current: number }): uPlot.Options {
  const hasRight = spec.series.some((s) => s.right);
  return {
    width,
    height: HEIGHT,
    // Room on the right for the last time label when no right axis is there to give it.
    padding: [8, hasRight ? 4 : 28, 0, 0],
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 6 } },
    legend: { live: true },
    scales: {
      x: {
        time: true,
        range: (_u, min, max) => {
          if (!Number.isFinite(max)) {
            const now = Date.now() / 1000;
            return [now - MIN_SPAN_S, now];
          }
          const from = Math.min(Math.max(min, max - windowS.current), max - MIN_SPAN_S);
          return [from, max];
        },
      },
      y: { range: valueRange(spec.max) },
      ...(hasRight ? { y2: { range: valueRange() } } : {}),
    },
    axes: [
      {
        stroke: AXIS,
        font: FONT,
        grid: { show: true, stroke: GRID, width: 1 },
        ticks: { show: false },
        size: 26,
        space: 70,
        values: (_u, splits, _axis, _space, increment) => splits.map((v) => clock(v, increment < 60)),
      },
      axis(spec.format, 3, 'y', true),
      ...(hasRight && spec.rightFormat ? [axis(spec.rightFormat, 1, 'y2', false)] : []),
    ],
    series: [
      { label: 'Time', value: (_u, v) => (v === null || v === undefined ? '–' : clock(v, true)) },
      ...spec.series.map<uPlot.Series>((s, i) => ({
        label: s.label,
        stroke: s.colour,
        width: 1.5,
        scale: s.right ? 'y2' : 'y',
        dash: s.dash,
        // A light area under the first series only: more would muddy the lines.
        fill: i === 0 ? `${s.colour}1a` : undefined,
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '–' : (s.right ? spec.rightFormat! : spec.format)(v)),
      })),
    ],
  };
}

/**
 * One uPlot time series chart fed by the dashboard feed: each tick calls `setData` on the same
 * chart (no React render). `data-points` on the element says how many points it holds (e2e tests),
 * `data-empty` whether none of them has a value (then the `empty` text shows).
 */
export const TimeChart = memo(function TimeChart({
  spec,
  feed,
  pick,
  windowS,
  testId,
  empty,
}: {
  spec: ChartSpec;
  feed: DashboardFeed;
  pick: (feed: DashboardFeed) => SeriesBuffer | undefined;
  /** Seconds of history to show. */
  windowS: number;
  testId: string;
  /** What to say while there is no point to plot. */
  empty?: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const windowRef = useRef(windowS);

  useEffect(() => {
    const el = box.current!;
    const metrics = spec.series.map((s) => s.metric);
    const data = (): uPlot.AlignedData => pick(feed)?.aligned(metrics) ?? [[], ...metrics.map(() => [])];
    const u = new uPlot(options(spec, Math.max(200, el.clientWidth), windowRef), data(), el);
    plot.current = u;
    const update = () => {
      const buffer = pick(feed);
      u.setData(data());
      const points = buffer?.length ?? 0;
      el.dataset.points = String(points);
      // Points whose every value is unknown (a source without lag) still leave nothing to draw.
      el.dataset.empty = String(!buffer || !metrics.some((m) => buffer.has(m)));
      // Away from the cursor the legend shows the newest values.
      if (points > 0 && (u.cursor.left ?? -1) < 0) u.setLegend({ idx: points - 1 });
    };
    const unsubscribe = feed.subscribe(update);
    update();
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0) u.setSize({ width: el.clientWidth, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      unsubscribe();
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [feed, pick, spec]);

  useEffect(() => {
    windowRef.current = windowS;
    const u = plot.current;
    if (u) u.setData(u.data);
  }, [windowS]);

  return (
    <section className="chart-card">
      <h4>{spec.title}</h4>
      <div className="chart" ref={box} data-testid={testId} data-points="0" data-empty="true">
        <div className="chart-empty">{empty ?? 'Waiting for data…'}</div>
      </div>
    </section>
  );
});
