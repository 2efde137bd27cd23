// Tokens per macro step over the generation: bars while they fit, a binned area beyond.
import { area, curveStepAfter, max, scaleLinear } from 'd3';
import { useMemo } from 'react';
import type { LaneId } from '../../../host/protocol';
import { useChartRuns } from '../hooks/useChartRuns';
import { downsample, tokensPerStep } from '../model/chartSeries';
import { Axis } from './Axis';
import { ChartFrame } from './ChartFrame';

export function TokensPerStepChart({ lane }: { lane: LaneId }) {
  const record = useChartRuns()[lane];
  const points = useMemo(() => (record === undefined ? [] : tokensPerStep(record.steps, record.shown)), [record?.steps, record?.shown]);
  const average = record !== undefined && record.shown > 0 ? record.steps[record.shown - 1]!.totals.tokensPerStep : null;
  const maxSteps = record?.started.settings.maxTokensPerStep ?? 4;
  return (
    <ChartFrame
      title="Tokens per macro step"
      fileName="tokens-per-step"
      legend={average === null ? null : <span>mean {average.toFixed(2)}</span>}
    >
      {({ width, height }) => {
        const x = scaleLinear().domain([0, Math.max(10, points.length)]).range([0, width]);
        const y = scaleLinear().domain([0, Math.max(maxSteps, max(points, (p) => p.tokens) ?? 1)]).range([height, 0]);
        const fitsBars = points.length <= width / 3;
        const binned = fitsBars ? points : downsample(points, Math.floor(width / 2), ['tokens']);
        const path = area<(typeof binned)[number]>()
          .x((p) => x(p.step))
          .y0(height)
          .y1((p) => y(p.tokens))
          .curve(curveStepAfter)(binned);
        const bar = Math.max(1, x(1) - x(0) - 1);
        return (
          <>
            <Axis scale={y} orient="left" span={width} ticks={maxSteps} format={(v) => String(v)} />
            <Axis scale={x} orient="bottom" span={height} label="macro step" />
            {fitsBars
              ? points.map((p) => <rect key={p.step} className="bar series-0" x={x(p.step)} y={y(p.tokens)} width={bar} height={height - y(p.tokens)} />)
              : path !== null && <path className="area series-0" d={path} />}
            {average !== null && <line className="mean-line" x1={0} x2={width} y1={y(average)} y2={y(average)} />}
          </>
        );
      }}
    </ChartFrame>
  );
}
