import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A tiny line chart of recent values (no axes, no legend), drawn with uPlot on a canvas. */
export function Sparkline({
  values,
  width = 80,
  height = 22,
  max = 100,
  label,
}: {
  values: readonly number[];
  width?: number;
  height?: number;
  max?: number;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const color = getComputedStyle(element).getPropertyValue('--mantine-color-blue-filled').trim() || '#228be6';
    plot.current = new uPlot(
      {
        width,
        height,
        pxAlign: false,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        scales: { x: { time: false }, y: { range: () => [0, max] } },
        axes: [{ show: false }, { show: false }],
        series: [{}, { stroke: color, width: 1.25, fill: `${color}22`, points: { show: false } }],
      },
      [[], []],
      element,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [width, height, max]);

  useEffect(() => {
    plot.current?.setData([values.map((_, i) => i), [...values]]);
  }, [values]);

  return <div ref={host} role="img" aria-label={label} style={{ width, height }} />;
}
