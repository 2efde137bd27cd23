// Perplexity against speed for one run: rolling perplexity, group size and tokens/s stacked on
// one macro-step axis, beside a scatter of each step's group size against its tokens' mean
// entropy. d3 computes the scales and shapes; React draws. The full series ride on the
// figure's data attributes (what a test or a script reads back), the drawing may be thinned.
import { area, curveStepAfter, line, max, scaleLinear, type ScaleLinear } from 'd3';
import { useMemo } from 'react';
import type { LaneId } from '../../../host/protocol';
import { useChartRuns } from '../hooks/useChartRuns';
import { downsample } from '../model/chartSeries';
import { perplexitySpeedSeries, type PerplexitySpeedPoint } from '../model/perplexitySpeed';
import { useResearchStore } from '../stores/researchStore';
import { Axis } from './Axis';
import { ChartFrame, type PlotSize } from './ChartFrame';

/** Space between stacked panels, and left of the scatter's axis. */
const PANEL_GAP = 24;
const SCATTER_AXIS = 38;

type Value = (p: PerplexitySpeedPoint) => number | null;

/** `floor`: the least the value can be (perplexity 1, a rate 0), where its axis starts. */
function LinePanel({ points, x, height, width, value, floor, label, last }: { points: PerplexitySpeedPoint[]; x: ScaleLinear<number, number>; height: number; width: number; value: Value; floor: number; label: string; last: boolean }) {
  const top = max(points, (p) => value(p) ?? 0) ?? 0;
  const y = scaleLinear().domain([floor, Math.max(top, floor + 1)]).range([height, 0]).nice();
  const d =
    line<PerplexitySpeedPoint>()
      .defined((p) => value(p) !== null)
      .x((p) => x(p.step + 0.5))
      .y((p) => y(value(p) ?? 0))(points) ?? '';
  return (
    <>
      <Axis scale={y} orient="left" span={width} ticks={3} label={label} />
      <Axis scale={x} orient="bottom" span={height} format={last ? undefined : () => ''} label={last ? 'macro step' : undefined} />
      <path className="line series-0" d={d} />
    </>
  );
}

function GroupPanel({ points, x, height, width, maxGroup, last }: { points: PerplexitySpeedPoint[]; x: ScaleLinear<number, number>; height: number; width: number; maxGroup: number; last: boolean }) {
  const y = scaleLinear().domain([0, maxGroup]).range([height, 0]);
  const bar = Math.max(1, x(1) - x(0) - 1);
  const fitsBars = points.length <= width / 3;
  const stepArea = area<PerplexitySpeedPoint>()
    .x((p) => x(p.step))
    .y0(height)
    .y1((p) => y(p.groupSize))
    .curve(curveStepAfter);
  return (
    <>
      <Axis scale={y} orient="left" span={width} ticks={Math.min(maxGroup, 4)} format={(v) => String(v)} label="tokens / step" />
      <Axis scale={x} orient="bottom" span={height} format={last ? undefined : () => ''} label={last ? 'macro step' : undefined} />
      {fitsBars
        ? points.map((p) => <rect key={p.step} className="bar series-1" x={x(p.step)} y={y(p.groupSize)} width={bar} height={height - y(p.groupSize)} />)
        : <path className="area series-1" d={stepArea(downsample(points, Math.floor(width / 2), ['groupSize'])) ?? ''} />}
    </>
  );
}

const DOT_RADIUS = 2.5;

/** Each step a small circle, spread inside its size's column by golden-ratio steps so equal sizes do not pile up. */
function dots(points: readonly PerplexitySpeedPoint[], x: ScaleLinear<number, number>, y: ScaleLinear<number, number>): string {
  const r = DOT_RADIUS;
  return points
    .map((p) => {
      const cx = x(p.groupSize + (((p.step * 0.618034) % 1) - 0.5) * 0.5);
      return `M${(cx - r).toFixed(1)},${y(p.meanEntropy).toFixed(1)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
    })
    .join('');
}

function Scatter({ points, width, height, maxGroup }: { points: PerplexitySpeedPoint[]; width: number; height: number; maxGroup: number }) {
  const x = scaleLinear().domain([0.5, maxGroup + 0.5]).range([0, width]);
  const y = scaleLinear().domain([0, Math.max(0.5, max(points, (p) => p.meanEntropy) ?? 0)]).range([height, 0]).nice();
  // Each size's mean entropy, marked across its column.
  const means = Array.from({ length: maxGroup }, (_, i) => {
    const same = points.filter((p) => p.groupSize === i + 1);
    return same.length === 0 ? null : same.reduce((sum, p) => sum + p.meanEntropy, 0) / same.length;
  });
  const half = (x(1) - x(0)) * 0.35;
  return (
    <>
      <Axis scale={y} orient="left" span={width} ticks={4} label="mean entropy (nats)" />
      <Axis scale={x} orient="bottom" span={height} ticks={maxGroup} format={(v) => (Number.isInteger(v) ? String(v) : '')} label="group size" />
      {/* One path for every dot: a live run of a thousand steps redraws one element, not a thousand. */}
      <path className="dot series-2" d={dots(points, x, y)}>
        <title>{`${points.length} macro steps: group size against the mean entropy of its tokens; dashes: each size's mean`}</title>
      </path>
      {means.map((m, i) => m !== null && <line key={i} className="mean-line" x1={x(i + 1) - half} x2={x(i + 1) + half} y1={y(m)} y2={y(m)} />)}
    </>
  );
}

function draw(points: PerplexitySpeedPoint[], maxGroup: number, windowTokens: number, { width, height }: PlotSize) {
  // Wide boxes put the scatter beside the stack, tall ones below it.
  const beside = width > height * 1.2;
  const stackWidth = beside ? Math.round(width * 0.64) : width;
  const stackHeight = beside ? height : Math.round(height * 0.66);
  const scatterLeft = beside ? stackWidth + PANEL_GAP + SCATTER_AXIS : 0;
  const scatterTop = beside ? 0 : stackHeight + PANEL_GAP + 14;
  const panel = Math.max(10, (stackHeight - 2 * PANEL_GAP) / 3);
  const x = scaleLinear().domain([0, Math.max(10, points.length)]).range([0, stackWidth]);
  const drawn = points.length <= stackWidth / 2 ? points : downsample(points, Math.floor(stackWidth / 2), ['perplexity', 'tokensPerSecond']);
  return (
    <>
      <g className="ppl-panel">
        <LinePanel points={drawn} x={x} height={panel} width={stackWidth} value={(p) => p.perplexity} floor={1} label={`perplexity (last ${windowTokens} tokens)`} last={false} />
      </g>
      <g className="ppl-panel" transform={`translate(0,${panel + PANEL_GAP})`}>
        <GroupPanel points={points} x={x} height={panel} width={stackWidth} maxGroup={maxGroup} last={false} />
      </g>
      <g className="ppl-panel" transform={`translate(0,${2 * (panel + PANEL_GAP)})`}>
        <LinePanel points={drawn} x={x} height={panel} width={stackWidth} value={(p) => p.tokensPerSecond} floor={0} label="tokens/s (per step)" last />
      </g>
      <g className="ppl-scatter" transform={`translate(${scatterLeft},${scatterTop})`}>
        <Scatter points={points} width={Math.max(10, width - scatterLeft)} height={Math.max(10, height - scatterTop)} maxGroup={maxGroup} />
      </g>
    </>
  );
}

const joined = (points: readonly PerplexitySpeedPoint[], value: Value): string => points.map((p) => String(value(p) ?? '')).join(',');

export function PerplexitySpeedChart({ lane, label }: { lane: LaneId; label: string }) {
  const record = useChartRuns()[lane];
  const windowTokens = useResearchStore((state) => state.windowTokens);
  const points = useMemo(() => (record === undefined ? [] : perplexitySpeedSeries(record.steps, record.shown, windowTokens)), [record?.steps, record?.shown, windowTokens]);
  const maxGroup = Math.max(record?.started.settings.maxTokensPerStep ?? 4, max(points, (p) => p.groupSize) ?? 1);
  const last = points[points.length - 1];
  return (
    <div
      className="ppl-lane"
      data-testid={`perplexity-${lane}`}
      data-window={windowTokens}
      data-steps={points.length}
      data-perplexity={joined(points, (p) => p.perplexity)}
      data-group-size={joined(points, (p) => p.groupSize)}
      data-tokens-per-second={joined(points, (p) => p.tokensPerSecond)}
      data-mean-entropy={joined(points, (p) => p.meanEntropy)}
    >
      <ChartFrame
        title={`Perplexity vs speed · ${label}`}
        fileName={`perplexity-speed-${lane}`}
        legend={last === undefined ? null : <span>perplexity {last.perplexity.toFixed(2)}</span>}
      >
        {(size) =>
          points.length === 0 ? (
            <text className="axis-label" x={size.width / 2} y={size.height / 2} textAnchor="middle">
              Waiting for the first step.
            </text>
          ) : (
            draw(points, maxGroup, windowTokens, size)
          )
        }
      </ChartFrame>
    </div>
  );
}
