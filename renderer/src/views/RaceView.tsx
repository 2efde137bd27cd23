// The race: every race lane runs the same prompt and settings at once (HAMburger, HAMburger's
// drafts verified by the baseline, the baseline), each with its live tally, KV strip and
// stream; the charts overlay the lanes. A timing simulation's runs carry a banner over them.
import type { LaneId } from '../../../host/protocol';
import { KvGrowthChart } from '../charts/KvGrowthChart';
import { ThroughputChart } from '../charts/ThroughputChart';
import { RACE_LANES } from '../controller';
import type { ChartLane } from '../hooks/useLaneSeries';
import { useRun } from '../hooks/useRun';
import { firstTokenText } from '../model/firstTokenTime';
import { useResearchStore } from '../stores/researchStore';
import { PerplexitySpeedPanel } from './PerplexitySpeedPanel';
import { KvStrip } from './KvStrip';
import { RenderBoundary } from './RenderBoundary';
import { RunStatus } from './RunStatus';
import { SimulationBanner } from './SimulationBanner';
import { TokenStream } from './TokenStream';

const LANE_TITLES: Record<string, string> = { hamburger: 'HAMburger', verify: 'Verified (lossless)', baseline: 'Baseline' };
export const CHART_LANES: readonly ChartLane[] = RACE_LANES.map(({ lane, mode }) => ({ lane, label: LANE_TITLES[mode] ?? mode }));
const LANE_IDS = RACE_LANES.map(({ lane }) => lane);

function Tally({ lane }: { lane: LaneId }) {
  const record = useRun(lane);
  const last = record !== undefined && record.shown > 0 ? record.steps[record.shown - 1]!.totals : null;
  const cells: [string, string][] = [
    ['forwards', last === null ? '–' : String(last.macroSteps)],
    ['KV entries', last === null ? '–' : String(last.kvEntries)],
    ['tokens', last === null ? '–' : String(last.tokens)],
    ['tokens/s', last === null ? '–' : String(Math.round(last.tokensPerSecond))],
    ['first token', firstTokenText(last)],
  ];
  const checked = last?.verification;
  if (checked?.kind === 'verify') {
    cells.push(['baseline fwd/token', checked.baselineForwardsPerToken.toFixed(2)], ['drafts kept', `${Math.round(checked.acceptanceRate * 100)}%`]);
  }
  return (
    <dl className="tally" data-testid={`tally-${lane}`}>
      {cells.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd data-tally={label}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RaceView() {
  const perplexity = useResearchStore((state) => state.perplexityOpen);
  return (
    <div className="race">
      <SimulationBanner lanes={LANE_IDS} />
      <div className="race-lanes" style={{ gridTemplateColumns: `repeat(${RACE_LANES.length}, minmax(0, 1fr))` }}>
        {RACE_LANES.map(({ lane, mode }, i) => (
          <section key={lane} className={`race-lane series-border-${i}`} data-testid={`lane-${lane}`}>
            <h2 className={`series-${i}-text`}>{LANE_TITLES[mode] ?? mode}</h2>
            <RenderBoundary what={`the ${LANE_TITLES[mode] ?? mode} lane`} lanes={[lane]}>
              <Tally lane={lane} />
              <RunStatus lane={lane} />
              <KvStrip lane={lane} compact />
              <TokenStream lane={lane} />
            </RenderBoundary>
          </section>
        ))}
      </div>
      <div className={`race-charts${perplexity ? ' research' : ''}`}>
        <RenderBoundary what="the race charts" lanes={LANE_IDS}>
          {perplexity ? (
            <PerplexitySpeedPanel lanes={CHART_LANES} />
          ) : (
            <>
              <KvGrowthChart lanes={CHART_LANES} />
              <ThroughputChart lanes={CHART_LANES} />
            </>
          )}
        </RenderBoundary>
      </div>
    </div>
  );
}
