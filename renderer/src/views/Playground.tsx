// The playground (and, with the step-through panel instead of charts, the debugger):
// KV strip, token stream and scrubber in the middle; charts or debugger on the right (with
// the baseline's agreement when the run is audited or verified).
import { AgreementChart } from '../charts/AgreementChart';
import { KvGrowthChart } from '../charts/KvGrowthChart';
import { ThroughputChart } from '../charts/ThroughputChart';
import { TokenProbabilityChart } from '../charts/TokenProbabilityChart';
import { TokensPerStepChart } from '../charts/TokensPerStepChart';
import type { ChartLane } from '../hooks/useLaneSeries';
import { useRun } from '../hooks/useRun';
import { AnalysisFigures } from './AnalysePanel';
import { useResearchStore } from '../stores/researchStore';
import { DebuggerPanel } from './DebuggerPanel';
import { ContextBar } from './ContextBar';
import { ConversationBar } from './ConversationBar';
import { ForkColumn } from './ForkColumn';
import { ForkControls } from './ForkControls';
import { KvStrip, KvSummary } from './KvStrip';
import { PaperExports } from './PaperExports';
import { PerplexitySpeedPanel } from './PerplexitySpeedPanel';
import { RenderBoundary } from './RenderBoundary';
import { ReplayBar } from './ReplayBar';
import { RunStatus } from './RunStatus';
import { TokenDetailsCard } from './TokenDetailsCard';
import { TokenStream } from './TokenStream';

const PLAYGROUND_LANES: readonly ChartLane[] = [{ lane: 'playground', label: 'this run' }];
const LANES = ['playground'] as const;

export function Playground({ debug }: { debug: boolean }) {
  const checked = useRun('playground', (record) => record.started.settings.verifier !== undefined) ?? false;
  const forked = useRun('fork', () => true) ?? false;
  const perplexity = useResearchStore((state) => state.perplexityOpen) && !debug;
  return (
    <div className={`playground${forked ? ' with-fork' : ''}`}>
      <div className="run-column">
        <RunStatus lane="playground" />
        <RenderBoundary what="the KV cache strip" lanes={LANES}>
          <KvSummary lane="playground" />
          <KvStrip lane="playground" />
          <ContextBar lane="playground" />
        </RenderBoundary>
        <RenderBoundary what="the token stream" lanes={LANES}>
          <TokenStream lane="playground" />
        </RenderBoundary>
        <ReplayBar lane="playground" />
        <ForkControls />
        <ConversationBar />
        <PaperExports lane="playground" />
      </div>
      {forked && (
        <RenderBoundary what="the fork" lanes={['fork']}>
          <ForkColumn />
        </RenderBoundary>
      )}
      <div className={`side-column${perplexity ? ' research' : checked ? ' checked' : ''}`}>
        <RenderBoundary what={debug ? 'the step-through panel' : 'the charts'} lanes={LANES}>
          {debug ? (
            <DebuggerPanel />
          ) : perplexity ? (
            <PerplexitySpeedPanel lanes={PLAYGROUND_LANES} />
          ) : (
            <>
              <AnalysisFigures lane="playground" />
              <TokensPerStepChart lane="playground" />
              <TokenProbabilityChart lane="playground" />
              <ThroughputChart lanes={PLAYGROUND_LANES} />
              <KvGrowthChart lanes={PLAYGROUND_LANES} />
              {checked && <AgreementChart lane="playground" />}
            </>
          )}
        </RenderBoundary>
      </div>
      <TokenDetailsCard lane="playground" />
    </div>
  );
}
