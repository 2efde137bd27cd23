// Analysing a text in the playground: the box for the text to score and its button (the
// prompt and confidence are the run settings'), and, beside the charts of an analysis, the
// text's figures and each token's probability and entropy. The run itself shows in the KV
// strip, token stream and charts like any run: an analysis is a run whose tokens were forced.
import { useMemo } from 'react';
import { MAX_TEXT_CHARS } from '../../../engine/api';
import type { LaneId } from '../../../host/protocol';
import { analyseText } from '../analyse';
import { describeError } from '../controller';
import { useRun } from '../hooks/useRun';
import { analysedTokens, shownAnalysis } from '../model/analysisTokens';
import { isActive } from '../model/runRecord';
import { STOP_MARKS } from '../model/stopReason';
import { tokenBackground } from '../model/tokenColor';
import { formatProb, visibleToken } from '../model/tokenText';
import { useAnalysisStore } from '../stores/analysisStore';
import { useFormErrorStore } from '../stores/formErrorStore';
import { useModelStore } from '../stores/modelStore';
import { useRunStore } from '../stores/runStore';

export function AnalyseBox() {
  const text = useAnalysisStore((state) => state.text);
  const setText = useAnalysisStore((state) => state.setText);
  const error = useFormErrorStore((state) => (state.error?.field === 'text' ? state.error : null));
  const connected = useModelStore((state) => state.connection === 'open');
  const running = useRunStore((state) => isActive(state.runs.playground));
  return (
    <section className="analyse-box" aria-label="Analyse a text">
      <label className="small muted" htmlFor="analysis-text">
        Analyse a text: how HAMburger scores it after the prompt, and where its groups would end
      </label>
      <textarea
        id="analysis-text"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="A text to score (the prompt above may be empty)."
        rows={3}
        data-testid="analysis-text"
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void analyseText();
        }}
      />
      {text.length > MAX_TEXT_CHARS && (
        <p className="field-error" role="status">
          {text.length.toLocaleString('en')} characters: the limit is {MAX_TEXT_CHARS.toLocaleString('en')}.
        </p>
      )}
      {error !== null && (
        <p className="field-error" role="alert" data-testid="analysis-error">
          {describeError(error)}
        </p>
      )}
      <button type="button" onClick={() => void analyseText()} disabled={!connected || running} data-testid="analyse">
        Analyse
      </button>
    </section>
  );
}

export function AnalysisFigures({ lane }: { lane: LaneId }) {
  // Only an analysis's record: a generation's folds do not re-render this.
  const record = useRun(lane, (run) => (run.started.settings.analysis === true ? run : undefined));
  const analysis = record !== undefined;
  const steps = record?.steps;
  const shown = record?.shown ?? 0;
  const figures = useMemo(() => (steps === undefined ? null : shownAnalysis(steps, shown)), [steps, shown]);
  const tokens = useMemo(() => (steps === undefined ? [] : analysedTokens(steps, shown)), [steps, shown]);
  if (!analysis || figures === null) return null;
  return (
    <section className="analysis-figures chart" data-testid="analysis-figures" data-perplexity={figures.perplexity} data-kv-entries={figures.kvEntries} data-tokens={figures.tokens}>
      <p className="analysis-line">
        <span className="chart-title">Analysis</span> perplexity <strong data-testid="analysis-perplexity">{figures.perplexity.toFixed(3)}</strong> ·{' '}
        <strong data-testid="analysis-kv-entries">{figures.kvEntries}</strong> KV entries for {figures.tokens} tokens ·{' '}
        <strong data-testid="analysis-tokens-per-step">{figures.tokensPerStep.toFixed(2)}</strong> tokens/step · greedy choice{' '}
        {(100 * figures.greedyAgreement).toFixed(1)}% · cut where the model would diverge (≠): <strong data-testid="analysis-divergences">{figures.divergences}</strong>
      </p>
      <div className="analysis-tokens">
        <table data-testid="analysis-tokens">
          <thead>
            <tr>
              <th>group</th>
              <th>token</th>
              <th>p</th>
              <th>entropy</th>
              <th>model's choice</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t, i) => (
              <tr key={i} className={t.groupEnd === null ? '' : 'group-end'}>
                <td>{t.group}</td>
                <td>
                  <span className="token" style={{ background: tokenBackground(t.prob) }}>
                    {visibleToken(t.text)}
                  </span>
                  {t.groupEnd !== null && (
                    <span className={`stop-mark stop-${t.groupEnd}`} title={STOP_MARKS[t.groupEnd].label}>
                      {STOP_MARKS[t.groupEnd].mark}
                    </span>
                  )}
                </td>
                <td>{formatProb(t.prob)}</td>
                <td>{t.entropy.toFixed(2)}</td>
                <td>{t.greedyText === null ? '=' : visibleToken(t.greedyText)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
