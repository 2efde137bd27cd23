// The app's frame: toolbar, the current view, notices; theme, presentation mode, keyboard
// and the host's menu commands.
import { useEffect, useMemo } from 'react';
import { control, generate, onAppCommand, race, RACE_LANES, saveTrace } from './controller';
import { useKeyboard, type KeyboardActions } from './hooks/useKeyboard';
import { useViewStore, type View } from './stores/viewStore';
import { Notices } from './views/Notices';
import { Playground } from './views/Playground';
import { PromptPanel } from './views/PromptPanel';
import { RaceView } from './views/RaceView';
import { RenderBoundary } from './views/RenderBoundary';
import { exportShownAsHtml, Toolbar } from './views/Toolbar';

const VIEW_NAMES: Record<View, string> = { playground: 'the playground', race: 'the race', debugger: 'the step-through view' };
const RACE_LANE_IDS = RACE_LANES.map(({ lane }) => lane);

function openTraceDialog(): void {
  document.querySelector<HTMLInputElement>('[data-testid="trace-file"]')?.click();
}

async function setPresentation(on: boolean): Promise<void> {
  useViewStore.getState().setPresentation(on);
  // Full screen is a request: a browser may refuse it (no user gesture, kiosk rules); the mode works without.
  try {
    if (on && document.fullscreenElement === null) await document.documentElement.requestFullscreen();
    if (!on && document.fullscreenElement !== null) await document.exitFullscreen();
  } catch {
    /* presentation mode stays on in the window */
  }
}

export function App() {
  const view = useViewStore((state) => state.view);
  const theme = useViewStore((state) => state.theme);
  const presentation = useViewStore((state) => state.presentation);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.dataset.presentation = presentation ? 'on' : 'off';
  }, [theme, presentation]);

  useEffect(() => {
    const onFullscreen = () => {
      if (document.fullscreenElement === null && useViewStore.getState().presentation) useViewStore.getState().setPresentation(false);
    };
    document.addEventListener('fullscreenchange', onFullscreen);
    return () => document.removeEventListener('fullscreenchange', onFullscreen);
  }, []);

  const actions = useMemo<KeyboardActions>(
    () => ({
      save: () => saveTrace(useViewStore.getState().view === 'race' ? 'race-0' : 'playground'),
      open: openTraceDialog,
      exitPresentation: () => void setPresentation(false),
    }),
    [],
  );
  useKeyboard(actions);

  useEffect(
    () =>
      onAppCommand((command) => {
        const views = useViewStore.getState();
        switch (command) {
          case 'generate':
            if (views.view === 'race') void race();
            else void generate('hamburger', views.view === 'debugger');
            return;
          case 'stop':
            (views.view === 'race' ? RACE_LANES.map((l) => l.lane) : (['playground'] as const)).forEach((lane) => void control(lane, 'cancel'));
            return;
          case 'save-trace':
            return actions.save();
          case 'open-trace':
            return openTraceDialog();
          case 'export-html':
            return void exportShownAsHtml(views.view);
          case 'present':
            return void setPresentation(!views.presentation);
          case 'toggle-theme':
            return views.setTheme(views.theme === 'dark' ? 'light' : 'dark');
          case 'view-playground':
            return views.setView('playground');
          case 'view-race':
            return views.setView('race');
          case 'view-debugger':
            return views.setView('debugger');
        }
      }),
    [actions],
  );

  return (
    <div className={`app view-${view}`}>
      <Toolbar onPresent={() => void setPresentation(!presentation)} />
      <main>
        {!presentation && <PromptPanel />}
        {/* Around the whole view as well as its panels: what a panel's own boundary does not hold (status, scrubber, hover card). */}
        <RenderBoundary what={VIEW_NAMES[view]} lanes={view === 'race' ? RACE_LANE_IDS : ['playground']}>
          {view === 'race' ? <RaceView /> : <Playground debug={view === 'debugger'} />}
        </RenderBoundary>
      </main>
      {presentation && (
        <div className="presentation-hint" data-testid="presentation-hint">
          Space: step · ←/→: scrub · Esc: leave
        </div>
      )}
      <Notices />
    </div>
  );
}
