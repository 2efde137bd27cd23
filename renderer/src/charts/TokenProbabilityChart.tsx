// Per generated token: the chosen token's probability, the distribution's entropy (right
// axis) and the stop head's probability against the stop threshold 1 - c.
import { line, max, scaleLinear } from 'd3';
import { useMemo } from 'react';
import type { LaneId } from '../../../host/protocol';
import { useChartRuns } from '../hooks/useChartRuns';
import { downsample, tokenPoints, type TokenPoint } from '../model/chartSeries';
import { Axis } from './Axis';
import { ChartFrame } from './ChartFrame';

export function TokenProbabilityChart({ lane }: { lane: LaneId }) {
  const record = useChartRuns()[lane];
  const points = useMemo(() => (record === undefined ? [] : tokenPoints(record.steps, record.shown)), [record?.steps, record?.shown]);
  const confidence = record?.started.settings.confidence ?? null;
  const threshold = confidence === null ? 0.5 : 1 - confidence;
  return (
    <ChartFrame
      title="Per token"
      fileName="token-probability"
      legend={
        <>
          <span className="key series-0">probability</span>
          <span className="key series-2">entropy</span>
          <span className="key series-1 dashed">stop prob.</span>
        </>
      }
    >
      {({ width, height }) => {
        const shown = downsample(points, Math.max(1, Math.floor(width)), ['prob', 'entropy', 'stopProb']);
        const x = scaleLinear().domain([0, Math.max(20, points.length - 1)]).range([0, width]);
        const y = scaleLinear().domain([0, 1]).range([height, 0]);
        const entropyMax = Math.max(1, max(points, (p) => p.entropy) ?? 1);
        const yEntropy = scaleLinear().domain([0, entropyMax]).range([height, 0]).nice();
        const path = (value: (p: TokenPoint) => number | null, scale = y) =>
          line<TokenPoint>()
            .defined((p) => value(p) !== null)
            .x((p) => x(p.token))
            .y((p) => scale(value(p) ?? 0))(shown) ?? '';
        return (
          <>
            <Axis scale={y} orient="left" span={width} ticks={4} />
            <Axis scale={x} orient="bottom" span={height} label="token" />
            <g transform={`translate(${width},0)`} className="axis right">
              {yEntropy.ticks(3).map((v) => (
                <text key={v} className="tick series-2-text" x={4} y={yEntropy(v)} dy="0.32em" textAnchor="start">
                  {v}
                </text>
              ))}
            </g>
            <line className="threshold-line" x1={0} x2={width} y1={y(threshold)} y2={y(threshold)} />
            <text className="threshold-label" x={width - 4} y={y(threshold) - 3} textAnchor="end">
              stop threshold {threshold.toFixed(2)}
            </text>
            <path className="line series-2 thin" d={path((p) => p.entropy, yEntropy)} />
            <path className="line series-1 dashed" d={path((p) => p.stopProb)} />
            <path className="line series-0" d={path((p) => p.prob)} />
          </>
        );
      }}
    </ChartFrame>
  );
}
