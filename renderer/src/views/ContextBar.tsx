// Under the KV strip: how much of the load's context the shown step has used (a thin bar),
// the KV memory the engine's caches hold and use, and the size of the model's weights.
// Traces older than these figures show nothing here.
import type { LaneId } from '../../../host/protocol';
import { useRun } from '../hooks/useRun';
import { useModelStore } from '../stores/modelStore';

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

export function ContextBar({ lane }: { lane: LaneId }) {
  const memory = useRun(lane, (record) => (record.shown === 0 ? undefined : record.steps[record.shown - 1]!.totals.memory));
  const weightsBytes = useModelStore((state) => state.model?.weightsBytes);
  const weights = useModelStore((state) => state.model?.weights);
  if (memory === undefined) return null;
  const share = Math.min(1, memory.contextUsed / memory.contextLimit);
  return (
    <div className="context-bar" data-testid="context-bar" data-context-used={memory.contextUsed} data-context-limit={memory.contextLimit}>
      <div className="context-track" role="meter" aria-label="Context used" aria-valuemin={0} aria-valuemax={memory.contextLimit} aria-valuenow={memory.contextUsed}>
        <div className="context-fill" style={{ width: `${(share * 100).toFixed(2)}%` }} />
      </div>
      <span className="muted small">
        context {memory.contextUsed.toLocaleString('en')} / {memory.contextLimit.toLocaleString('en')} positions · KV {megabytes(memory.kvUsedBytes)} in use /{' '}
        {megabytes(memory.kvReservedBytes)} reserved{weightsBytes === undefined ? '' : ` · weights ${megabytes(weightsBytes)} (${weights})`}
      </span>
    </div>
  );
}
