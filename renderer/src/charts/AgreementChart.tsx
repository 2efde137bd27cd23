// The baseline's agreement over a checked run (audit or verify): per macro step, the share of
// its tokens that were the baseline's argmax (bars), and the running agreement rate (line).
import { line, scaleLinear } from 'd3';
import { useMemo } from 'react';
import type { LaneId } from '../../../host/protocol';
import { useChartRuns } from '../hooks/useChartRuns';
import { agreementSeries, downsample, type AgreementPoint } from '../model/chartSeries';
import { Axis } from './Axis';
import { ChartFrame } from './ChartFrame';

export function AgreementChart({ lane }: { lane: LaneId }) {
  const record = useChartRuns()[lane];
  const points = useMemo(() => (record === undefined ? [] : agreementSeries(record.steps, record.shown)), [record?.steps, record?.shown]);
  const totals = record !== undefined && record.shown > 0 ? record.steps[record.shown - 1]!.totals.verification : undefined;
  return (
    <ChartFrame
      title={totals?.kind === 'verify' ? 'Drafts the baseline agrees with' : 'Agreement with baseline'}
      fileName="agreement"
      legend={
        totals === undefined ? null : (
          <>
            <span className="key series-1">per step</span>
            <span className="key series-0" data-testid="agreement-rate">
              overall {(totals.agreementRate * 100).toFixed(0)}% · {totals.meanAcceptedPrefix.toFixed(2)} kept/step
            </span>
          </>
        )
      }
    >
      {({ width, height }) => {
        if (points.length === 0) {
          return (
            <text className="axis-label" x={width / 2} y={height / 2} textAnchor="middle">
              {record === undefined || record.started.settings.verifier === undefined ? 'Audit or verify a run to see the baseline agree or not.' : 'Waiting for the first step.'}
            </text>
          );
        }
        const x = scaleLinear().domain([0, Math.max(10, points.length)]).range([0, width]);
        const y = scaleLinear().domain([0, 1]).range([height, 0]);
        const fitsBars = points.length <= width / 3;
        const shown = fitsBars ? points : downsample(points, Math.floor(width / 2), ['agreed', 'checked', 'running']);
        const bar = Math.max(1, x(1) - x(0) - 1);
        const running = line<AgreementPoint>()
          .x((_, i) => x(fitsBars ? i + 0.5 : (i * points.length) / shown.length))
          .y((p) => y(p.running))(shown);
        return (
          <>
            <Axis scale={y} orient="left" span={width} ticks={4} format={(v) => `${Math.round(v * 100)}%`} />
            <Axis scale={x} orient="bottom" span={height} label="checked macro step" />
            {fitsBars &&
              points.map((p, i) => (
                <rect key={p.step} className="bar series-1" x={x(i)} y={y(p.agreed / p.checked)} width={bar} height={height - y(p.agreed / p.checked)}>
                  <title>{`step ${p.step}: ${p.agreed} of ${p.checked} tokens agree, ${p.accepted} kept`}</title>
                </rect>
              ))}
            {running !== null && <path className="line series-0" d={running} />}
          </>
        );
      }}
    </ChartFrame>
  );
}
