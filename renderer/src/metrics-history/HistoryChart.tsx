import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useElementSize } from '@mantine/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface HistorySeries {
  label: string;
  color: string;
  values: readonly (number | null)[];
  /** Downsampled ranges: the band between min and max is drawn under the average. */
  min?: readonly (number | null)[];
  max?: readonly (number | null)[];
}

/**
 * A history chart (uPlot): drag across it to zoom in (the caller fetches that window at a finer
 * resolution), double-click to zoom out; the cursor's crosshair shows every series' value at that time in
 * the legend.
 */
export function HistoryChart({
  times,
  series,
  yMax,
  yMinTop = 1,
  format,
  height = 160,
  label,
  onZoom,
  onZoomReset,
}: {
  times: readonly number[];
  series: HistorySeries[];
  yMax?: number;
  yMinTop?: number;
  format: (value: number) => string;
  height?: number;
  label: string;
  onZoom(from: number, to: number): void;
  onZoomReset(): void;
}) {
  const { ref: sizeRef, width: observedWidth } = useElementSize();
  const [initialWidth, setInitialWidth] = useState(0);
  useLayoutEffect(() => setInitialWidth(host.current?.parentElement?.clientWidth ?? 0), []);
  const width = observedWidth > 0 ? observedWidth : initialWidth;
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const formatRef = useRef(format);
  formatRef.current = format;
  const zoomRef = useRef({ onZoom, onZoomReset });
  zoomRef.current = { onZoom, onZoomReset };
  const bands = series.some((s) => s.min && s.max);
  const shape = `${series.map((s) => `${s.label}:${s.color}`).join('|')}|${bands}`;

  useEffect(() => {
    const element = host.current;
    if (!element || width <= 0) return;
    const axisColor = getComputedStyle(element).getPropertyValue('--mantine-color-dimmed').trim() || '#868e96';
    const gridColor = getComputedStyle(element).getPropertyValue('--mantine-color-default-border').trim() || '#dee2e6';
    const value = (_u: uPlot, v: number | null) => (v === null || v === undefined ? '–' : formatRef.current(v));
    const uSeries: uPlot.Series[] = [{ value: (_u, v) => (v === null ? '–' : new Date(v * 1000).toLocaleString()) }];
    const uBands: uPlot.Band[] = [];
    for (const s of series) {
      uSeries.push({ label: s.label, stroke: s.color, width: 1.5, points: { show: false }, value, spanGaps: false });
      if (bands) {
        const maxIndex = uSeries.length;
        uSeries.push({ label: `${s.label} max`, stroke: `${s.color}55`, width: 0.5, points: { show: false }, value, show: true });
        uSeries.push({ label: `${s.label} min`, stroke: `${s.color}55`, width: 0.5, points: { show: false }, value, show: true });
        uBands.push({ series: [maxIndex, maxIndex + 1], fill: `${s.color}22` });
      }
    }
    plot.current = new uPlot(
      {
        width,
        height,
        legend: { show: true, live: true },
        cursor: { drag: { x: true, y: false, setScale: false }, points: { size: 6 } },
        select: { show: true, left: 0, top: 0, width: 0, height: 0 },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, yMax ?? Math.max(yMinTop, max * 1.1)] } },
        bands: uBands,
        axes: [
          { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
          {
            stroke: axisColor,
            grid: { stroke: gridColor, width: 1 },
            ticks: { stroke: gridColor },
            size: 70,
            values: (_u, values) => values.map((v) => formatRef.current(v)),
          },
        ],
        series: uSeries,
        hooks: {
          setSelect: [
            (u) => {
              if (u.select.width < 4) return;
              const from = u.posToVal(u.select.left, 'x') * 1000;
              const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
              zoomRef.current.onZoom(Math.round(from), Math.round(to));
            },
          ],
        },
      },
      [[]],
      element,
    );
    const over = element.querySelector('.u-over');
    const reset = () => zoomRef.current.onZoomReset();
    over?.addEventListener('dblclick', reset);
    return () => {
      over?.removeEventListener('dblclick', reset);
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [width, height, yMax, yMinTop, shape]);

  useEffect(() => {
    const data: (number | null)[][] = [times.map((t) => t / 1000)];
    for (const s of series) {
      data.push([...s.values]);
      if (bands) {
        data.push([...(s.max ?? s.values)]);
        data.push([...(s.min ?? s.values)]);
      }
    }
    plot.current?.setData(data as uPlot.AlignedData);
  }, [times, series, width, bands, shape]);

  const latest = series
    .map((s) => {
      const last = [...s.values].reverse().find((v) => v !== null);
      return `${s.label} ${last === undefined || last === null ? '–' : formatRef.current(last)}`;
    })
    .join(', ');
  return (
    <div ref={sizeRef} style={{ width: '100%' }}>
      <div ref={host} role="img" aria-label={`${label}: ${latest}`} data-points={times.length} />
    </div>
  );
}
