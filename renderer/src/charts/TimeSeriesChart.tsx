import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useElementSize } from '@mantine/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface TimeSeries {
  label: string;
  values: readonly number[];
  color: string;
}

/**
 * A live time-series chart (uPlot): times in epoch ms, one or more series, fixed y range when given.
 * Resizes with its container. The accessible name and the latest values are given as text too.
 */
export function TimeSeriesChart({
  times,
  series,
  yMax,
  yMinTop = 1,
  yFormat,
  height = 180,
  label,
}: {
  times: readonly number[];
  series: TimeSeries[];
  yMax?: number;
  /** Without a fixed yMax: the axis reaches at least this high (so an idle series is not all "0"). */
  yMinTop?: number;
  yFormat: (value: number) => string;
  height?: number;
  label: string;
}) {
  const { ref: sizeRef, width: observedWidth } = useElementSize();
  // The observer reports after layout; measure once at mount too so the chart never waits for it.
  const [initialWidth, setInitialWidth] = useState(0);
  useLayoutEffect(() => setInitialWidth(host.current?.parentElement?.clientWidth ?? 0), []);
  const width = observedWidth > 0 ? observedWidth : initialWidth;
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = series.map((s) => `${s.label}:${s.color}`).join('|');
  const format = useRef(yFormat);
  format.current = yFormat;

  useEffect(() => {
    const element = host.current;
    if (!element || width <= 0) return;
    const axisColor = getComputedStyle(element).getPropertyValue('--mantine-color-dimmed').trim() || '#868e96';
    const gridColor = getComputedStyle(element).getPropertyValue('--mantine-color-default-border').trim() || '#dee2e6';
    plot.current = new uPlot(
      {
        width,
        height,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, yMax ?? Math.max(yMinTop, max * 1.1)] } },
        axes: [
          { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
          {
            stroke: axisColor,
            grid: { stroke: gridColor, width: 1 },
            ticks: { stroke: gridColor },
            size: 70,
            values: (_u, values) => values.map((v) => format.current(v)),
          },
        ],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}1f`, points: { show: false } }))],
      },
      [[], ...series.map(() => [])],
      element,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
    // Re-create when the shape changes; data changes go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [width, height, yMax, yMinTop, seriesKey]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => [...s.values])]);
  }, [times, series, width]);

  const latest = series.map((s) => `${s.label} ${s.values.length ? format.current(s.values[s.values.length - 1] ?? 0) : '–'}`).join(', ');
  return (
    <div ref={sizeRef} style={{ width: '100%' }}>
      <div ref={host} role="img" aria-label={`${label}: ${latest}`} />
    </div>
  );
}
