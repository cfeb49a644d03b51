/**
 * A sparkline's line as SVG points ("x,y x,y …"): the values spread over the width, oldest on the left,
 * 0 at the bottom and `max` at the top (values outside are clamped). Fewer than two values give no line.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number, max: number): string {
  if (values.length < 2) return '';
  const step = width / (values.length - 1);
  const scale = max > 0 ? height / max : 0;
  let points = '';
  for (let i = 0; i < values.length; i++) {
    const value = Math.min(max, Math.max(0, values[i] ?? 0));
    const x = Math.round(i * step * 10) / 10;
    const y = Math.round((height - value * scale) * 10) / 10;
    points += `${i === 0 ? '' : ' '}${x},${y}`;
  }
  return points;
}
