// A fork beside the run it came from: what it replayed (the shared prefix, marked in its KV
// strip where the replayed groups start), then its own continuation.
import { clearRuns } from '../controller';
import { useRun } from '../hooks/useRun';
import { visibleToken } from '../model/tokenText';
import { KvStrip, KvSummary } from './KvStrip';
import { RunStatus } from './RunStatus';
import { TokenStream } from './TokenStream';

export function ForkColumn() {
  const record = useRun('fork');
  if (record === undefined) return null;
  const history = record.started.history;
  const fork = history?.fork;
  const forcedText = fork?.token === undefined ? null : (record.steps[0]?.micro[0]?.text ?? String(fork.token));
  const entries = record.steps[0]?.appended ?? [];
  const shared = history?.forkStart === undefined ? '' : entries.slice(history.forkStart).map((e) => e.text).join('');
  return (
    <div className="fork-column" data-testid="fork-column" data-from-step={fork?.fromStep}>
      <div className="fork-head">
        <h3>
          Fork from step {fork?.fromStep ?? '?'} · {record.started.settings.mode}
          {forcedText !== null && <> · forced {visibleToken(forcedText)}</>}
        </h3>
        <button type="button" onClick={() => void clearRuns(['fork'])} aria-label="Close the fork">
          ×
        </button>
      </div>
      <RunStatus lane="fork" />
      <p className="fork-prefix" data-testid="fork-prefix" title="The shared prefix: the original's groups before the fork step, replayed into the fork's cache">
        <span className="muted small">shared prefix · </span>
        {entries.length === 0 ? <span className="muted">replaying…</span> : visibleToken(shared)}
      </p>
      <KvSummary lane="fork" />
      <KvStrip lane="fork" compact />
      <TokenStream lane="fork" />
    </div>
  );
}
