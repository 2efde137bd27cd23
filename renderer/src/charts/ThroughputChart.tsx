// Tokens per second over the run's active time (engine clock): the running average and the
// rate over the last few steps, for one lane or several racing.
import { line, max, scaleLinear } from 'd3';
import { useLaneSeries, type ChartLane } from '../hooks/useLaneSeries';
import { downsample, throughput, type ThroughputPoint } from '../model/chartSeries';
import { Axis } from './Axis';
import { ChartFrame } from './ChartFrame';
import { LaneKeys } from './LaneKeys';

export function ThroughputChart({ lanes }: { lanes: readonly ChartLane[] }) {
  const series = useLaneSeries(lanes, throughput);
  return (
    <ChartFrame
      title="Tokens per second"
      fileName="tokens-per-second"
      legend={<LaneKeys series={series} />}
    >
      {({ width, height }) => {
        const maxMs = Math.max(100, ...series.map((s) => s.points[s.points.length - 1]?.ms ?? 0));
        const maxRate = Math.max(10, ...series.map((s) => max(s.points, (p) => Math.max(p.average, p.recent)) ?? 0));
        const x = scaleLinear().domain([0, maxMs / 1000]).range([0, width]);
        const y = scaleLinear().domain([0, maxRate]).range([height, 0]).nice();
        const path = (points: ThroughputPoint[], value: (p: ThroughputPoint) => number) =>
          line<ThroughputPoint>()
            .x((p) => x(p.ms / 1000))
            .y((p) => y(value(p)))(downsample(points, Math.max(1, Math.floor(width / 2)), ['average', 'recent'])) ?? '';
        return (
          <>
            <Axis scale={y} orient="left" span={width} ticks={4} />
            <Axis scale={x} orient="bottom" span={height} label="seconds (active)" />
            {series.map((s, i) => (
              <g key={s.label}>
                <path className={`line series-${i} thin faint`} d={path(s.points, (p) => p.recent)} />
                <path className={`line series-${i}`} d={path(s.points, (p) => p.average)} />
              </g>
            ))}
          </>
        );
      }}
    </ChartFrame>
  );
}
