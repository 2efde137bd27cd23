// KV entries written for generated tokens against the tokens themselves, with the
// one-entry-per-token line that plain decoding follows.
import { line, scaleLinear } from 'd3';
import { useLaneSeries, type ChartLane } from '../hooks/useLaneSeries';
import { downsample, kvGrowth, type KvPoint } from '../model/chartSeries';
import { Axis } from './Axis';
import { ChartFrame } from './ChartFrame';
import { LaneKeys } from './LaneKeys';

export function KvGrowthChart({ lanes }: { lanes: readonly ChartLane[] }) {
  const series = useLaneSeries(lanes, kvGrowth);
  return (
    <ChartFrame
      title="KV entries vs tokens"
      fileName="kv-entries-vs-tokens"
      legend={
        <>
          <LaneKeys series={series} />
          <span className="key reference dashed">1 entry per token</span>
        </>
      }
    >
      {({ width, height }) => {
        const maxTokens = Math.max(10, ...series.map((s) => s.points[s.points.length - 1]?.tokens ?? 0));
        const x = scaleLinear().domain([0, maxTokens]).range([0, width]).nice();
        const y = scaleLinear().domain([0, maxTokens]).range([height, 0]).nice();
        const path = (points: KvPoint[]) =>
          line<KvPoint>()
            .x((p) => x(p.tokens))
            .y((p) => y(p.entries))(downsample(points, Math.max(2, Math.floor(width / 2)), [])) ?? '';
        return (
          <>
            <Axis scale={y} orient="left" span={width} ticks={4} />
            <Axis scale={x} orient="bottom" span={height} label="tokens generated" />
            <line className="reference-line" x1={x(0)} y1={y(0)} x2={x(x.domain()[1]!)} y2={y(x.domain()[1]!)} />
            {series.map((s, i) => (
              <path key={s.label} className={`line series-${i}`} d={path(s.points)} />
            ))}
          </>
        );
      }}
    </ChartFrame>
  );
}
