// Worker-thread side of the engine host: owns one HamburgerEngine, answers HostRequests,
// forwards every engine event, and keeps the trace of each run for `trace` requests.
import { parentPort } from 'node:worker_threads';
import { HamburgerEngine, type GenerateOptions, type RunHandle } from '../engine.js';
import type { EngineEvent, LoadProgress } from '../api.js';
import { EngineError, toErrorInfo } from '../errors.js';
import { TraceRecorder } from '../traceRecorder.js';
import { hostRequestSchema, type HostRequest, type ReplyValues, type WorkerMessage } from './protocol.js';
import { lowerThreadPriority } from './threadPriority.js';

/** Traces kept for `trace` requests: the latest few runs. */
const KEPT_TRACES = 8;

if (parentPort === null) throw new Error('engineWorker must run in a worker thread');
const port = parentPort;
// Before any session exists: onnxruntime's own threads inherit the priority.
lowerThreadPriority();

let engine: HamburgerEngine | null = null;
const traces = new Map<string, TraceRecorder>();
/** The loads running now, so that `cancelLoad` can stop them. */
const loads = new Set<AbortController>();

function post(message: WorkerMessage): void {
  port.postMessage(message);
}

function requireEngine(): HamburgerEngine {
  if (engine === null) throw new EngineError('no_model', 'no model is loaded; send a load request first');
  return engine;
}

/** A run's trace for `trace` requests, the oldest dropped past KEPT_TRACES. */
function keepTrace(runId: string, recorder: TraceRecorder): void {
  traces.set(runId, recorder);
  while (traces.size > KEPT_TRACES) traces.delete(traces.keys().next().value!);
}

/** A run whose events are posted as they come and kept as its trace (`trace` requests). */
function startRecorded(current: HamburgerEngine, start: (onEvent: (event: EngineEvent) => void) => RunHandle): { runId: string } {
  const recorder = new TraceRecorder({ name: current.info.name, description: current.info.description });
  const handle = start((event) => {
    recorder.record(event);
    post({ kind: 'event', event });
  });
  keepTrace(handle.runId, recorder);
  return { runId: handle.runId };
}

const runOptions = (runId: string | undefined): GenerateOptions => (runId === undefined ? {} : { runId });

async function answer(request: HostRequest): Promise<ReplyValues[HostRequest['kind']]> {
  switch (request.kind) {
    case 'load': {
      const { id, directory, threads, kvBudgetBytes, context, runs, openOnDemand } = request;
      const controller = new AbortController();
      loads.add(controller);
      try {
        const onProgress = (progress: LoadProgress): void => post({ kind: 'loadProgress', id, progress });
        const next = await HamburgerEngine.load(directory, { threads, kvBudgetBytes, context, runs, openOnDemand, onProgress, signal: controller.signal });
        await engine?.dispose();
        engine = next;
        traces.clear();
        return next.info;
      } finally {
        loads.delete(controller);
      }
    }
    case 'cancelLoad':
      for (const controller of loads) controller.abort();
      return null;
    case 'generate': {
      const current = requireEngine();
      // Graphs the run needs that the load left closed open first, with progress like a load's.
      await current.prepare(request.request, (progress) => post({ kind: 'loadProgress', id: request.id, progress }));
      return startRecorded(current, (onEvent) => current.generate(request.request, onEvent, runOptions(request.runId)));
    }
    case 'analyse': {
      const current = requireEngine();
      return startRecorded(current, (onEvent) => current.analyse(request.request, onEvent, runOptions(request.runId)));
    }
    case 'control':
      requireEngine().control(request.action, request.runId);
      return null;
    case 'trace':
      return traces.get(request.runId)?.trace() ?? null;
    case 'encode': {
      const current = requireEngine();
      const encoded = current.encodePrompt(request.prompt, request.chatTemplate);
      return { ...encoded, tokens: encoded.tokenIds.map((id) => current.tokenText(id)) };
    }
    case 'dispose':
      await engine?.dispose();
      engine = null;
      traces.clear();
      return null;
  }
}

port.on('message', (raw: unknown) => {
  const parsed = hostRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : -1;
    post({ kind: 'reply', id, ok: false, error: { code: 'invalid_request', message: `bad host request: ${parsed.error.issues[0]?.message ?? 'unknown'}` } });
    return;
  }
  const request = parsed.data;
  answer(request).then(
    (value) => post({ kind: 'reply', id: request.id, ok: true, value }),
    (error: unknown) => post({ kind: 'reply', id: request.id, ok: false, error: toErrorInfo(error) }),
  );
});
