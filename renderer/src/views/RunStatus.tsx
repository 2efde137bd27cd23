// One line about a lane's run: what ran, its state, and the engine's own figures so far.
import type { LaneId } from '../../../host/protocol';
import { describeError } from '../controller';
import { useRun } from '../hooks/useRun';
import { firstTokenText } from '../model/firstTokenTime';

const PHASE_LABEL = {
  running: 'running',
  paused: 'paused',
  finished: 'finished',
  failed: 'failed',
  interrupted: 'interrupted',
} as const;

export function RunStatus({ lane }: { lane: LaneId }) {
  const record = useRun(lane);
  if (record === undefined) return <div className="run-status muted">No run yet.</div>;
  const last = record.shown > 0 ? record.steps[record.shown - 1]!.totals : null;
  const finish = record.result?.finishReason;
  // Which stop id ended it: the last token, named as the stream shows it.
  const stopId = record.result?.stopTokenId;
  const stopText = stopId === undefined ? null : (record.steps.at(-1)?.micro.at(-1)?.text ?? '');
  return (
    <div className={`run-status phase-${record.phase}`} data-testid={`status-${lane}`} data-phase={record.phase} data-run={record.started.runId}>
      <span className="badge">{record.source === 'file' ? `replay · ${record.fileName}` : PHASE_LABEL[record.phase]}</span>
      <span>{record.started.settings.label}</span>
      {finish !== undefined && record.shown === record.steps.length && (
        <span className="muted" data-testid={`finish-${lane}`}>
          {/* An analysis ends at the end of its text, its maxNewTokens. */}
          ended: {record.started.settings.analysis === true && finish === 'max_new_tokens' ? 'end of the text' : finish.replace(/_/g, ' ')}
          {stopId !== undefined && ` (${JSON.stringify(stopText)}, id ${stopId})`}
        </span>
      )}
      {last !== null && (
        <span className="figures">
          {last.tokens} tokens · {last.macroSteps} steps · {last.tokensPerStep.toFixed(2)} tok/step · {Math.round(last.tokensPerSecond)} tok/s
          {last.firstTokenMs !== undefined && (
            <span title="Time to first token: the prefill and the first token's micro step (verify: and the baseline's first check)" data-testid={`first-token-${lane}`} data-ms={last.firstTokenMs}>
              {' '}
              · first token {firstTokenText(last)}
            </span>
          )}
        </span>
      )}
      {record.started.settings.positionConvention === 'tokens_so_far' && (
        <span className="muted" data-testid={`positions-${lane}`} title="Each fed-back group sits at the number of tokens so far, one above its last token (the authors' HF generation routine)">
          group positions: tokens so far
        </span>
      )}
      {record.error !== null && (
        <span className="field-error inline" role="alert">
          {describeError(record.error)}
        </span>
      )}
    </div>
  );
}
