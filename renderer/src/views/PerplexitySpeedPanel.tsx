// The perplexity-against-speed view in place of the usual charts: the rolling window's size
// (one setting for every lane), then one aligned chart per lane.
import { useState } from 'react';
import type { ChartLane } from '../hooks/useLaneSeries';
import { PerplexitySpeedChart } from '../charts/PerplexitySpeedChart';
import { useResearchStore, windowTokensSchema } from '../stores/researchStore';

function WindowField() {
  const windowTokens = useResearchStore((state) => state.windowTokens);
  const setWindowTokens = useResearchStore((state) => state.setWindowTokens);
  const [text, setText] = useState(String(windowTokens));
  const [error, setError] = useState<string | null>(null);
  const onChange = (value: string) => {
    setText(value);
    const parsed = windowTokensSchema.safeParse(value.trim() === '' ? Number.NaN : Number(value));
    if (parsed.success) setWindowTokens(parsed.data);
    setError(parsed.success ? null : `"${value}": ${parsed.error.issues[0]!.message}; it stays at ${windowTokens}`);
  };
  return (
    <label className="ppl-window">
      perplexity window{' '}
      <input type="number" min={1} step={1} value={text} onChange={(e) => onChange(e.target.value)} aria-invalid={error !== null} data-testid="perplexity-window" />{' '}
      tokens
      {error !== null && (
        <span className="field-error" role="alert" data-testid="perplexity-window-error">
          {error}
        </span>
      )}
    </label>
  );
}

export function PerplexitySpeedPanel({ lanes }: { lanes: readonly ChartLane[] }) {
  return (
    <section className="ppl-view" data-testid="perplexity-view">
      <WindowField />
      <div className="ppl-lanes" style={{ gridTemplateColumns: `repeat(${lanes.length}, minmax(0, 1fr))` }}>
        {lanes.map(({ lane, label }) => (
          <PerplexitySpeedChart key={lane} lane={lane} label={label} />
        ))}
      </div>
    </section>
  );
}
