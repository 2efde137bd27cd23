// Axes drawn by React from a d3 scale's ticks.
import type { ScaleLinear } from 'd3';

interface AxisProps {
  scale: ScaleLinear<number, number>;
  orient: 'bottom' | 'left';
  /** Pixel length of the other dimension (grid lines span it). */
  span: number;
  ticks?: number;
  format?: (value: number) => string;
  label?: string;
}

export function Axis({ scale, orient, span, ticks = 5, format, label }: AxisProps) {
  const [r0, r1] = scale.range() as [number, number];
  // Fewer labels on a short or narrow axis, so large type (presentation mode) never overlaps.
  const room = Math.floor(Math.abs(r1 - r0) / (orient === 'left' ? 22 : 44));
  const count = Math.max(2, Math.min(ticks, room));
  const values = scale.ticks(count);
  const fmt = format ?? scale.tickFormat(count);
  if (orient === 'bottom') {
    return (
      <g className="axis" transform={`translate(0,${span})`}>
        <line className="axis-line" x1={r0} x2={r1} />
        {values.map((v) => (
          <g key={v} transform={`translate(${scale(v)},0)`}>
            <line className="grid" y2={-span} />
            <text className="tick" y={14} textAnchor="middle">
              {fmt(v)}
            </text>
          </g>
        ))}
        {label !== undefined && (
          <text className="axis-label" x={r1 + 20} y={26} textAnchor="end">
            {label}
          </text>
        )}
      </g>
    );
  }
  return (
    <g className="axis">
      <line className="axis-line" y1={r0} y2={r1} />
      {values.map((v) => (
        <g key={v} transform={`translate(0,${scale(v)})`}>
          <line className="grid" x2={span} />
          <text className="tick" x={-5} dy="0.32em" textAnchor="end">
            {fmt(v)}
          </text>
        </g>
      ))}
      {label !== undefined && (
        <text className="axis-label" x={4} y={r1 + 10}>
          {label}
        </text>
      )}
    </g>
  );
}
