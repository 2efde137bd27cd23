// The playground's left column: examples, the prompt, model and settings, and the buttons
// that start and stop a run (in the race view, both lanes at once).
import { MAX_PROMPT_CHARS } from '../../../engine/api';
import { describeError, generate, race, control, RACE_LANES } from '../controller';
import { EXAMPLE_PROMPTS } from '../model/examplePrompts';
import { isActive } from '../model/runRecord';
import { useFormErrorStore } from '../stores/formErrorStore';
import { useModelStore } from '../stores/modelStore';
import { useRunStore } from '../stores/runStore';
import { useSettingsStore } from '../stores/settingsStore';
import { useViewStore } from '../stores/viewStore';
import { AnalyseBox } from './AnalysePanel';
import { ModelPicker } from './ModelPicker';
import { SettingsControls } from './SettingsControls';

/** The prompt box on its own: a key re-renders it, not the whole panel. */
function PromptBox({ onStart }: { onStart(): void }) {
  const prompt = useSettingsStore((state) => state.prompt);
  const update = useSettingsStore((state) => state.update);
  return (
    <>
      <textarea
        value={prompt}
        onChange={(e) => update({ prompt: e.target.value })}
        placeholder="Type a prompt, or pick an example above."
        rows={6}
        aria-label="Prompt"
        data-testid="prompt"
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) onStart();
        }}
      />
      {prompt.length > MAX_PROMPT_CHARS && (
        <p className="field-error" role="status" data-testid="prompt-length">
          {prompt.length.toLocaleString('en')} characters: the limit is {MAX_PROMPT_CHARS.toLocaleString('en')}.
        </p>
      )}
    </>
  );
}

export function PromptPanel() {
  const update = useSettingsStore((state) => state.update);
  const view = useViewStore((state) => state.view);
  const error = useFormErrorStore((state) => state.error);
  const connected = useModelStore((state) => state.connection === 'open');
  const lanes = view === 'race' ? RACE_LANES.map((l) => l.lane) : (['playground'] as const);
  // A boolean selector: the panel re-renders when a run starts or ends, not on every event.
  const running = useRunStore((state) => lanes.some((lane) => isActive(state.runs[lane])));
  const promptError = error !== null && (error.field === 'prompt' || error.field === undefined) ? error : null;

  const start = () => {
    if (view === 'race') void race();
    else void generate('hamburger', view === 'debugger');
  };
  const stop = () => lanes.forEach((lane) => void control(lane, 'cancel'));

  return (
    <aside className="prompt-panel">
      <div className="examples" role="group" aria-label="Example prompts">
        {EXAMPLE_PROMPTS.map((example) => (
          <button key={example.label} type="button" className="chip" onClick={() => update({ prompt: example.prompt })}>
            {example.label}
          </button>
        ))}
      </div>
      <PromptBox onStart={start} />
      {promptError !== null && (
        <p className="field-error" role="alert" data-testid="prompt-error">
          {describeError(promptError)}
        </p>
      )}
      <div className="actions">
        {running ? (
          <button type="button" className="primary danger" onClick={stop} data-testid="stop">
            Stop
          </button>
        ) : (
          <button type="button" className="primary" onClick={start} disabled={!connected} data-testid="generate">
            {view === 'race' ? 'Race' : view === 'debugger' ? 'Start paused' : 'Generate'}
          </button>
        )}
        {view === 'playground' && !running && (
          <>
            <button type="button" onClick={() => void generate('baseline', false)} disabled={!connected} title="One token per forward, for comparison" data-testid="generate-baseline">
              Baseline
            </button>
            <button
              type="button"
              onClick={() => void generate('verify', false)}
              disabled={!connected}
              title="Lossless: HAMburger's groups as drafts, checked by the baseline; the output is the baseline's"
              data-testid="generate-verify"
            >
              Verify
            </button>
          </>
        )}
        <span className="muted small">Ctrl+Enter</span>
      </div>
      {view === 'playground' && <AnalyseBox />}
      <SettingsControls />
      <ModelPicker />
    </aside>
  );
}
