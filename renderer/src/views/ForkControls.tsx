// Fork the playground's run from the step under the cursor (the scrubber, or the step-through
// panel's step): the steps before it are replayed, then the chosen mode and the form's
// settings decide, from the model's own choice or a forced first token (one of the step's
// top five). The fork runs beside the run.
import { useState } from 'react';
import { MODES, type Mode } from '../../../engine/api';
import { forkFrom } from '../controller';
import { useRun } from '../hooks/useRun';
import { formatProb, visibleToken } from '../model/tokenText';

export function ForkControls() {
  // Forks start from a step in step-through or after a run; while it runs the step under the
  // cursor moves on every update, and the controls are left out.
  const record = useRun('playground', (run) => (run.phase === 'running' ? undefined : run));
  const [token, setToken] = useState('');
  const [mode, setMode] = useState<Mode>('hamburger');
  if (record === undefined || record.steps.length === 0) return null;
  const step = Math.min(record.steps.length - 1, Math.max(0, record.shown - 1));
  const first = record.steps[step]!.micro[0]!;
  const forced = first.top.some((alt) => String(alt.tokenId) === token) ? token : '';
  return (
    <div className="fork-controls" data-testid="fork-controls" data-step={step}>
      <span>
        Fork from step <b>{step}</b>:
      </span>
      <select aria-label="First token of the fork" value={forced} onChange={(e) => setToken(e.target.value)} data-testid="fork-token">
        <option value="">the model's choice</option>
        {first.top.map((alt) => (
          <option key={alt.tokenId} value={String(alt.tokenId)}>
            force {visibleToken(alt.text)} ({formatProb(alt.prob)})
          </option>
        ))}
      </select>
      <select aria-label="Mode of the fork" value={mode} onChange={(e) => setMode(e.target.value as Mode)} data-testid="fork-mode">
        {MODES.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => void forkFrom(step, mode, forced === '' ? null : Number(forced))} data-testid="fork-here">
        Fork here
      </button>
      <span className="muted small">with the settings above</span>
    </div>
  );
}
