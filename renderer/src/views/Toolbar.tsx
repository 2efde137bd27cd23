// The top bar: views, save/open traces, theme, presentation mode, graphs opening on a run's
// first use, and the connection state.
import { useRef } from 'react';
import { openTrace, saveTrace } from '../controller';
import { exportReplayHtml } from '../replayExport';
import { useModelStore } from '../stores/modelStore';
import { useResearchStore } from '../stores/researchStore';
import { VIEWS, useViewStore, type View } from '../stores/viewStore';
import { CHART_LANES as RACE_CHART_LANES } from './RaceView';

const VIEW_LABELS: Record<View, string> = { playground: 'Playground', race: 'Race', debugger: 'Step-through' };

/** Export HTML of what a view shows: the race's lanes, or the playground's run (this button and the File menu). */
export function exportShownAsHtml(view: View): Promise<void> {
  return view === 'race' ? exportReplayHtml(RACE_CHART_LANES, 'hamburger-race') : exportReplayHtml([{ lane: 'playground', label: 'this run' }], 'hamburger-run');
}

export function Toolbar({ onPresent }: { onPresent: () => void }) {
  const view = useViewStore((state) => state.view);
  const setView = useViewStore((state) => state.setView);
  const theme = useViewStore((state) => state.theme);
  const setTheme = useViewStore((state) => state.setTheme);
  const connection = useModelStore((state) => state.connection);
  const opening = useModelStore((state) => state.opening);
  const perplexityOpen = useResearchStore((state) => state.perplexityOpen);
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <header className="toolbar">
      <h1>
        HAM<span>burger</span>
      </h1>
      <nav role="tablist" aria-label="Views">
        {VIEWS.map((v) => (
          <button key={v} role="tab" type="button" aria-selected={view === v} className={view === v ? 'on' : ''} onClick={() => setView(v)} data-testid={`view-${v}`}>
            {VIEW_LABELS[v]}
          </button>
        ))}
      </nav>
      <div className="toolbar-actions">
        <button
          type="button"
          aria-pressed={perplexityOpen}
          className={perplexityOpen ? 'on' : ''}
          onClick={() => useResearchStore.getState().setPerplexityOpen(!perplexityOpen)}
          data-testid="toggle-perplexity"
          title="Perplexity against speed in place of the charts"
        >
          Perplexity vs speed
        </button>
        <button type="button" onClick={() => saveTrace(view === 'race' ? 'race-0' : 'playground')} data-testid="save-trace" title="Save the run as a trace file (Ctrl+S)">
          Save trace
        </button>
        <button
          type="button"
          onClick={() => void exportShownAsHtml(view)}
          data-testid="export-html"
          title="Export the run (or the race) as one HTML file that replays it in any browser, offline"
        >
          Export HTML
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} data-testid="open-trace" title="Open a trace file and replay it (Ctrl+O)">
          Open trace
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".json,application/json"
          hidden
          data-testid="trace-file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file !== undefined) {
              useViewStore.getState().setView('playground');
              void openTrace(file);
            }
          }}
        />
        <button type="button" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} title="Light or dark theme">
          {theme === 'dark' ? 'Light' : 'Dark'}
        </button>
        <button type="button" onClick={onPresent} data-testid="present" title="Presentation mode (F11)">
          Present
        </button>
        {opening !== null && (
          <span className="muted small" data-testid="graph-opening" title="The engine opens these graphs the first time a run needs them">
            opening {opening.file}
            {opening.graphsTotal > 1 ? ` and ${opening.graphsTotal - 1} more` : ''} ({(opening.bytesTotal / 1e6).toFixed(0)} MB)…
          </span>
        )}
        <span className={`connection conn-${connection}`} data-testid="connection" title={`engine connection: ${connection}`}>
          {connection === 'open' ? 'engine ready' : connection === 'connecting' ? 'connecting…' : 'reconnecting…'}
        </span>
      </div>
    </header>
  );
}
