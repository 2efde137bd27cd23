// The one-file replay page: the exported run in the playground's layout (KV strip, token
// stream, scrubber, charts), or the exported race in the race's; no prompt, model or engine.
import { useEffect } from 'react';
import type { LaneId } from '../../../host/protocol';
import { useViewStore } from '../stores/viewStore';
import { Playground } from '../views/Playground';
import { RaceView } from '../views/RaceView';
import { RaceReplayBar } from './RaceReplayBar';

export interface ReplayPageProps {
  lanes: readonly LaneId[];
  /** What was exported, for the header (model, date). */
  caption: string;
}

export function ReplayPage({ lanes, caption }: ReplayPageProps) {
  const theme = useViewStore((state) => state.theme);
  const race = !lanes.includes('playground');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.dataset.presentation = 'off';
  }, [theme]);
  return (
    <div className={`app view-${race ? 'race' : 'playground'} replay-page`}>
      <header className="toolbar">
        <h1>
          HAM<span>burger</span>
        </h1>
        <span className="muted small" data-testid="replay-caption">
          {caption}
        </span>
        <div className="toolbar-actions">
          <button type="button" onClick={() => useViewStore.getState().setTheme(theme === 'dark' ? 'light' : 'dark')} title="Light or dark theme">
            {theme === 'dark' ? 'Light' : 'Dark'}
          </button>
        </div>
      </header>
      <main>
        {race ? (
          <div className="replay-race">
            <RaceView />
            <RaceReplayBar lanes={lanes} />
          </div>
        ) : (
          <Playground debug={false} />
        )}
      </main>
    </div>
  );
}
