// What the UI's buttons do: host calls, with every failure turned into a message the user
// sees. Views call these; they never talk to the host directly.
import { MAX_PROMPT_CHARS, type ControlAction, type EngineErrorInfo, type GenerateRequestInput, type Mode } from '../../engine/api';
import type { TurnCache } from '../../engine/history';
import { type AppCommand, type LaneId } from '../../host/protocol';
import { hostApi } from './bridge/hostApi';
import { downloadBlob } from './download';
import { enqueueEvent, forgetCursors, wakeFrameLoop } from './frameLoop';
import { isActive } from './model/runRecord';
import { forkRequest, nextTurnRequest } from '../../engine/continuation';
import { readTraceFile, traceFileName, traceOf } from './model/traceFile';
import { useFormErrorStore } from './stores/formErrorStore';
import { useModelStore } from './stores/modelStore';
import { useNoticeStore } from './stores/noticeStore';
import { usePaceStore } from './stores/paceStore';
import { useRunStore } from './stores/runStore';
import { requestFrom, useSettingsStore } from './stores/settingsStore';
import { useSimulationStore } from './stores/simulationStore';
import { useViewStore } from './stores/viewStore';

/** The race's lanes and what each runs: HAMburger, its drafts verified by the baseline, the baseline. */
export const RACE_LANES: readonly { lane: LaneId; mode: Mode }[] = [
  { lane: 'race-0', mode: 'hamburger' },
  { lane: 'race-2', mode: 'verify' },
  { lane: 'race-1', mode: 'baseline' },
];

export function describeError(error: EngineErrorInfo): string {
  const where = error.field === undefined ? '' : ` [${error.field}]`;
  const limit = error.limit === undefined ? '' : ` (allowed: ${error.limit})`;
  return `${error.message}${where}${limit}`;
}

const notify = (tone: 'error' | 'info', text: string): void => useNoticeStore.getState().push(tone, text);

/** Commands from the host's own menus (Electron); returns the unsubscribe function. */
export function onAppCommand(listener: (command: AppCommand) => void): () => void {
  return hostApi().onCommand(listener);
}

/** True where the host has a native folder dialog (Electron); elsewhere the user types a path. */
export function hasFolderDialog(): boolean {
  return hostApi().pickModelFolder !== null;
}

/** The native folder dialog; the folder chosen, or null when none was (or there is no dialog). */
export async function pickModelFolder(): Promise<string | null> {
  const pick = hostApi().pickModelFolder;
  return pick === null ? null : pick();
}

export function connectHost(): void {
  const api = hostApi();
  api.onEvent(enqueueEvent);
  api.onLoadProgress((progress) => {
    const store = useModelStore.getState();
    if (store.loading) store.setProgress(progress);
    // Otherwise graphs a run needs are opening (the baseline's, on its first use); the last report (no file) ends it.
    else store.setOpening(progress.file === null ? null : progress);
  });
  api.onModel((model) => {
    const store = useModelStore.getState();
    store.setModel(model);
    if (model !== null) useSettingsStore.getState().update({ maxNewTokens: model.defaults.maxNewTokens, confidence: model.defaults.confidence });
  });
  let wasLost = false;
  api.onConnection((state) => {
    useModelStore.getState().setConnection(state);
    if (state === 'lost' && !wasLost) {
      wasLost = true;
      useRunStore.getState().interruptLive('the connection to the engine was lost; the run stopped there (what it produced is kept and can be saved)');
      notify('error', 'Connection to the engine lost. Reconnecting… Your runs are kept.');
    }
    if (state === 'open' && wasLost) {
      wasLost = false;
      notify('info', 'Reconnected to the engine.');
    }
  });
  usePaceStore.subscribe(() => {
    forgetCursors();
    wakeFrameLoop();
  });
  void api.call({ method: 'currentModel' }).then((reply) => {
    if (reply.ok && reply.value !== null) useModelStore.getState().setModel(reply.value);
  });
}

/** `context`: positions runs may use (undefined: the package's own, as far as memory allows). */
export async function loadModel(directory: string | null, context?: number): Promise<boolean> {
  const store = useModelStore.getState();
  store.setLoading(true);
  store.setLoadError(null);
  const reply = await hostApi().call(context === undefined ? { method: 'loadModel', directory } : { method: 'loadModel', directory, context });
  store.setLoading(false);
  if (!reply.ok) {
    store.setLoadError(reply.error);
    notify('error', `Model not loaded: ${describeError(reply.error)}`);
    return false;
  }
  store.setModel(reply.value);
  notify('info', `Loaded ${reply.value.name}.`);
  return true;
}

/**
 * A prompt over the engine's limit is refused here, before it is sent: pasted text can be
 * megabytes, more than a host message may carry.
 */
function promptTooLong(prompt: string): EngineErrorInfo | null {
  if (prompt.length <= MAX_PROMPT_CHARS) return null;
  return {
    code: 'prompt_too_long',
    message: `prompt has ${prompt.length.toLocaleString('en')} characters; the limit is ${MAX_PROMPT_CHARS.toLocaleString('en')}`,
    field: 'prompt',
    limit: `<= ${MAX_PROMPT_CHARS.toLocaleString('en')} characters`,
  };
}

/** Stops the model load in progress; the model loaded before stays. */
export async function cancelLoad(): Promise<void> {
  const reply = await hostApi().call({ method: 'cancelLoad' });
  if (!reply.ok) notify('error', describeError(reply.error));
}

/** Starts the playground's run (paused at the start in the debugger). */
export async function generate(mode: Mode, startPaused: boolean): Promise<void> {
  useFormErrorStore.getState().set(null);
  useViewStore.getState().selectEntry(null);
  const tooLong = promptTooLong(useSettingsStore.getState().prompt);
  if (tooLong !== null) return refuse(tooLong);
  const request = requestFrom(useSettingsStore.getState(), mode, startPaused);
  const reply = await hostApi().call({ method: 'generate', lane: 'playground', request });
  if (!reply.ok) refuse(reply.error);
  else wakeFrameLoop();
}

/** Starts every race lane on the same prompt and settings at once. */
export async function race(): Promise<void> {
  useFormErrorStore.getState().set(null);
  const settings = useSettingsStore.getState();
  const tooLong = promptTooLong(settings.prompt);
  if (tooLong !== null) return refuse(tooLong);
  // A timing simulation's schedule (asked for in the page's address) goes with every lane.
  const { forcedGroupSizes } = useSimulationStore.getState();
  const forced = forcedGroupSizes === null ? {} : { forcedGroupSizes };
  // The lanes share one engine, which gives each run the same share of the machine.
  const replies = await Promise.all(
    RACE_LANES.map(({ lane, mode }) => hostApi().call({ method: 'generate', lane, request: { ...requestFrom(settings, mode, false), ...forced } })),
  );
  const failed = replies.find((reply) => !reply.ok);
  if (failed !== undefined && !failed.ok) {
    await Promise.all(RACE_LANES.map(({ lane }) => stopQuietly(lane)));
    refuse(failed.error);
  }
}

/**
 * Forks the playground's run from its step `step` into the fork lane, beside it: the steps
 * before are replayed, then `mode` and the form's settings decide (`token`: a forced first token).
 */
export async function forkFrom(step: number, mode: Mode, token: number | null): Promise<void> {
  const record = useRunStore.getState().runs.playground;
  if (record === undefined) return notify('error', 'Nothing to fork: run a generation or open a trace first.');
  const built = forkRequest(record, step, requestFrom(useSettingsStore.getState(), mode, false), token);
  if (!built.ok) return refuse(built.error);
  await stopQuietly('fork');
  // A cursor put on the step by hand left the pace at one step per key: the fork is followed as it runs.
  const pace = usePaceStore.getState();
  if (pace.pace.kind === 'manual') {
    pace.setPace({ kind: 'realtime' });
    forgetCursors();
  }
  await startInLane('fork', built.request);
}

/** The conversation's next turn in the playground: the run's answer kept (smashed, or re-prefilled unmerged), then `message`. */
export async function sendNextTurn(message: string, turnCache: TurnCache): Promise<void> {
  const record = useRunStore.getState().runs.playground;
  if (record === undefined) return notify('error', 'No answer yet: a next turn follows a finished run.');
  const built = nextTurnRequest(record, message, requestFrom(useSettingsStore.getState(), record.started.settings.mode, false), turnCache);
  if (!built.ok) return refuse(built.error);
  useViewStore.getState().selectEntry(null);
  await startInLane('playground', built.request);
}

async function startInLane(lane: LaneId, request: GenerateRequestInput): Promise<void> {
  useFormErrorStore.getState().set(null);
  const reply = await hostApi().call({ method: 'generate', lane, request });
  if (!reply.ok) refuse(reply.error);
  else wakeFrameLoop();
}

export async function control(lane: LaneId, action: ControlAction): Promise<void> {
  const reply = await hostApi().call({ method: 'control', lane, action });
  if (!reply.ok && reply.error.code !== 'no_run') notify('error', describeError(reply.error));
}

async function stopQuietly(lane: LaneId): Promise<void> {
  if (isActive(useRunStore.getState().runs[lane])) await hostApi().call({ method: 'control', lane, action: 'cancel' });
}

export function refuse(error: EngineErrorInfo): void {
  useFormErrorStore.getState().set(error);
  notify('error', `Not started: ${describeError(error)}`);
}

export function saveTrace(lane: LaneId): void {
  const record = useRunStore.getState().runs[lane];
  if (record === undefined) return notify('error', 'Nothing to save yet: run a generation or open a trace first.');
  const model = useModelStore.getState().model;
  const trace = traceOf(record, model?.name === record.started.model ? model.description : '');
  downloadBlob(traceFileName(record), new Blob([JSON.stringify(trace, null, 1)], { type: 'application/json' }));
  notify('info', `Saved ${traceFileName(record)}.`);
}

/** Opens a trace file into the playground as a replay; a bad file changes nothing. */
export async function openTrace(file: File): Promise<void> {
  const parsed = await readTraceFile(file);
  if (!parsed.ok) return notify('error', `${file.name}: ${parsed.message}`);
  await stopQuietly('playground');
  useRunStore.getState().openTrace('playground', parsed.trace, file.name);
  useViewStore.getState().selectEntry(null);
  usePaceStore.getState().setPlaying(true);
  forgetCursors('playground');
  wakeFrameLoop();
  notify('info', `Opened ${file.name}: ${parsed.trace.steps.length} macro steps. Replaying.`);
}

/** Takes runs off the screen (a run a view could not draw): a live one is cancelled first. */
export async function clearRuns(lanes: readonly LaneId[]): Promise<void> {
  await Promise.all(lanes.map((lane) => stopQuietly(lane)));
  for (const lane of lanes) {
    useRunStore.getState().clear(lane);
    forgetCursors(lane);
  }
  useViewStore.getState().selectEntry(null);
}

/** Moves a run's on-screen cursor by hand (scrubber, arrows, space in one-step-per-key pace). */
export function scrub(lane: LaneId, shown: number): void {
  const record = useRunStore.getState().runs[lane];
  if (record === undefined) return;
  const pace = usePaceStore.getState();
  // A cursor moved by hand stays where it was put: a live run stops following, a replay pauses.
  if (record.source === 'live' && pace.pace.kind !== 'manual' && shown < record.steps.length) {
    pace.setPace({ kind: 'manual' });
    notify('info', 'Pace set to one step per key press; pick "real time" to follow the run again.');
  }
  if (record.source === 'file') pace.setPlaying(false);
  useRunStore.getState().setShown(lane, shown);
  forgetCursors(lane);
  wakeFrameLoop();
}
