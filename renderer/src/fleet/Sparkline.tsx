import { sparklinePoints } from './sparkline-points';

/**
 * A tiny line chart of recent values (no axes, no legend): one SVG polyline and its filled area. Plain
 * SVG rather than a chart library: each running guest's row that scrolls or is typed into view makes one,
 * and a uPlot instance per row (its own elements, canvas and computed style) cost more than the row.
 */
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
  const points = sparklinePoints(values, width, height, max);
  return (
    <svg role="img" aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} style={{ display: 'block', flex: 'none' }}>
      {points && (
        <>
          <polygon points={`0,${height} ${points} ${width},${height}`} fill="var(--mantine-color-blue-filled)" fillOpacity={0.13} />
          <polyline points={points} fill="none" stroke="var(--mantine-color-blue-filled)" strokeWidth={1.25} strokeLinejoin="round" />
        </>
      )}
    </svg>
  );
}
