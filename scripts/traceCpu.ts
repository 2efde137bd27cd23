// The page's own CPU cost from a Chromium performance trace: thread time (not wall time) of
// the renderer's main thread, so a loaded machine, which stretches every wall-clock figure,
// changes these little. Tasks are the main thread's top-level trace events.

export interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, microseconds. */
  tdur?: number;
  args?: { name?: string; data?: { type?: string } };
}

export interface MainThreadCpu {
  totalMs: number;
  /** Thread time of each task that ran animation frames (React commits, drawing, layout, paint). */
  frameTasksMs: number[];
  /** Thread time of each task that handled a key event. */
  keyTasksMs: number[];
  /** Self thread time by event name, largest first. */
  selfMs: [string, number][];
}

const KEY_EVENTS = new Set(['keydown', 'keypress', 'keyup']);

interface Task {
  ms: number;
  frame: boolean;
  key: boolean;
}

export function mainThreadCpu(events: readonly TraceEvent[]): MainThreadCpu {
  const main = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const timed = events
    .filter((e) => e.ph === 'X' && e.dur !== undefined && e.tdur !== undefined && main.has(`${e.pid}/${e.tid}`))
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const result: MainThreadCpu = { totalMs: 0, frameTasksMs: [], keyTasksMs: [], selfMs: [] };
  const self = new Map<string, number>();
  const addSelf = (name: string, ms: number) => self.set(name, (self.get(name) ?? 0) + ms);
  const closeTask = (task: Task | null) => {
    if (task?.frame === true) result.frameTasksMs.push(task.ms);
    if (task?.key === true) result.keyTasksMs.push(task.ms);
  };
  // Complete events on one thread nest: a stack of the open ones gives each event its parent.
  const threads = new Map<string, { stack: TraceEvent[]; task: Task | null }>();
  for (const event of timed) {
    const key = `${event.pid}/${event.tid}`;
    const thread = threads.get(key) ?? { stack: [], task: null };
    threads.set(key, thread);
    const { stack } = thread;
    while (stack.length > 0 && stack[stack.length - 1]!.ts + stack[stack.length - 1]!.dur! <= event.ts) stack.pop();
    const ms = event.tdur! / 1000;
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      closeTask(thread.task);
      thread.task = { ms, frame: false, key: false };
      result.totalMs += ms;
    } else {
      addSelf(parent.name, -ms);
    }
    if (thread.task !== null && event.name === 'FireAnimationFrame') thread.task.frame = true;
    if (thread.task !== null && event.name === 'EventDispatch' && KEY_EVENTS.has(event.args?.data?.type ?? '')) thread.task.key = true;
    addSelf(event.name, ms);
    stack.push(event);
  }
  for (const thread of threads.values()) closeTask(thread.task);
  result.selfMs = [...self].sort((a, b) => b[1] - a[1]);
  return result;
}
