// The step-through debugger: for the current macro step, the group being composed into
// one KV entry, the features handed to the micro decoder, and each micro step's
// distribution with the stop decision against the threshold. Step macro / micro, resume.
import type { MacroStep, MicroStep } from '../../../engine/api';
import { control } from '../controller';
import { useRun } from '../hooks/useRun';
import { promptEntriesOf } from '../model/runHistory';
import { isActive } from '../model/runRecord';
import { STOP_MARKS } from '../model/stopReason';
import { tokenBackground } from '../model/tokenColor';
import { formatProb, visibleToken } from '../model/tokenText';

function MicroRow({ micro, threshold }: { micro: MicroStep; threshold: number | null }) {
  const decision =
    micro.stopReason !== null
      ? `stop ${STOP_MARKS[micro.stopReason].mark}`
      : micro.stopProb === null
        ? 'go on'
        : `go on (${formatProb(micro.stopProb)} ≤ ${threshold === null ? '0.5' : threshold.toFixed(2)})`;
  return (
    <tr data-testid="debug-micro">
      <td>{micro.index}</td>
      <td>
        <code className="token" style={{ background: tokenBackground(micro.prob) }}>
          {visibleToken(micro.text)}
        </code>
      </td>
      <td className="top5">
        {micro.top.map((alt) => (
          <span key={alt.tokenId} className={`alt${alt.tokenId === micro.tokenId ? ' chosen' : ''}`} title={`${alt.text} ${formatProb(alt.prob)}`}>
            <span className="alt-bar" style={{ height: `${Math.max(2, alt.prob * 100)}%` }} />
            <span className="alt-text">{visibleToken(alt.text)}</span>
          </span>
        ))}
      </td>
      <td>{formatProb(micro.prob)}</td>
      <td>{micro.entropy.toFixed(2)}</td>
      <td>
        {micro.stopProb === null ? '—' : (
          <span className="stop-gauge" title={`stop probability ${formatProb(micro.stopProb)}`}>
            <span className="stop-fill" style={{ width: `${micro.stopProb * 100}%` }} />
            {threshold !== null && <span className="stop-threshold" style={{ left: `${threshold * 100}%` }} />}
          </span>
        )}
      </td>
      <td className={micro.stopReason !== null ? 'decision stop' : 'decision'} title={micro.stopReason === null ? undefined : STOP_MARKS[micro.stopReason].label}>
        {decision}
      </td>
    </tr>
  );
}

function InputGroup({ steps, index, promptTokens, replayed }: { steps: MacroStep[]; index: number; promptTokens: number; replayed: boolean }) {
  if (index === 0 && replayed) return <p>Prefill: the context's {promptTokens} entries, replayed as the earlier runs wrote them (a fork's prefix, earlier turns' answers smashed).</p>;
  if (index === 0) return <p>Prefill: the {promptTokens} prompt tokens, one KV entry each, unmerged.</p>;
  const group = steps[index - 1]!;
  const position = group.positionId + group.tokenIds.length;
  return (
    <p data-testid="debug-group">
      Composing the previous group into <b>one</b> KV entry (entry {promptTokens + index - 1}, position id {position}):{' '}
      {group.micro.map((m) => (
        <code key={m.index} className="token-chip">
          {visibleToken(m.text)}
        </code>
      ))}{' '}
      ({group.tokenIds.length} token{group.tokenIds.length === 1 ? '' : 's'})
    </p>
  );
}

export function DebuggerPanel() {
  const record = useRun('playground');
  if (record === undefined) {
    return (
      <section className="debugger muted">
        <h2>Step-through</h2>
        <p>Press “Start paused”: the run stops before its first forward. Then step one macro step or one micro step at a time, and resume when you like.</p>
      </section>
    );
  }
  const live = isActive(record);
  const open = record.openMicros.length > 0 && record.shown === record.steps.length;
  const index = open ? record.steps.length : Math.max(0, record.shown - 1);
  const step = open ? null : record.steps[index];
  const micros = open ? record.openMicros : (step?.micro ?? []);
  // Mid-step, the features come from the step's base event; the macro event repeats them.
  const features = open ? record.openBase?.features : step?.features;
  const confidence = record.started.settings.confidence;
  const threshold = confidence === null ? null : 1 - confidence;
  const promptTokens = promptEntriesOf(record);
  return (
    <section className="debugger" data-testid="debugger">
      <div className="debug-controls">
        <button type="button" disabled={!live || record.phase !== 'paused'} onClick={() => void control('playground', 'stepMacro')} data-testid="step-macro">
          Step macro
        </button>
        <button type="button" disabled={!live || record.phase !== 'paused'} onClick={() => void control('playground', 'stepMicro')} data-testid="step-micro">
          Step micro
        </button>
        {record.phase === 'paused' ? (
          <button type="button" disabled={!live} onClick={() => void control('playground', 'resume')} data-testid="resume">
            Resume
          </button>
        ) : (
          <button type="button" disabled={!live} onClick={() => void control('playground', 'pause')}>
            Pause
          </button>
        )}
      </div>
      <h2>
        Macro step {index} {open ? '(in progress)' : step === undefined ? '(waiting for the first forward)' : ''}
      </h2>
      <InputGroup steps={record.steps} index={index} promptTokens={promptTokens} replayed={record.started.history !== undefined} />
      <h3>Features into the micro decoder</h3>
      {features === undefined ? (
        <p className="muted">Shown when the step's base forward has been reported.</p>
      ) : (
        <table className="features" data-testid="debug-features">
          <tbody>
            {features.map((f) => (
              <tr key={f.layer}>
                <td>layer {f.layer}</td>
                <td>‖h‖ = {f.norm.toFixed(2)}</td>
                <td className="mono">[{f.head.map((v) => v.toFixed(2)).join(', ')}, …]</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>
        Micro steps · stop rule: {threshold === null ? 'stop when p > 0.5' : `stop when stop prob > 1 − c = ${threshold.toFixed(2)}`}
      </h3>
      <table className="micro-table">
        <thead>
          <tr>
            <th>#</th>
            <th>token</th>
            <th>top-5</th>
            <th>p</th>
            <th>H</th>
            <th>stop prob</th>
            <th>decision</th>
          </tr>
        </thead>
        <tbody>
          {micros.map((m) => (
            <MicroRow key={m.index} micro={m} threshold={threshold} />
          ))}
        </tbody>
      </table>
      {step !== undefined && step !== null && (
        <p className="muted small">
          base forward {step.timings.baseMs.toFixed(2)} ms · micro steps {step.timings.microMs.toFixed(2)} ms · step {step.timings.totalMs.toFixed(2)} ms
        </p>
      )}
    </section>
  );
}
