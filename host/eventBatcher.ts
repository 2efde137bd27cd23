// Lane events on their way to a window, sent at most every EVENT_FLUSH_MS, all that came in
// between in one message: a run emits hundreds of events per second, and each message costs
// every hop (IPC or socket, the browser's processes, a task on the page) more than its
// contents (docs/app.md, "Smoothness").
import type { LaneEvent } from './protocol.js';

export const EVENT_FLUSH_MS = 16;

export interface EventBatcher {
  push(event: LaneEvent): void;
  /** Sends what is queued now (before a reply or a model change, so that order is kept). */
  flush(): void;
  /** Drops what is queued and stops the timer. */
  dispose(): void;
}

export function createEventBatcher(send: (events: LaneEvent[]) => void, intervalMs = EVENT_FLUSH_MS): EventBatcher {
  let queued: LaneEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (queued.length === 0) return;
    const events = queued;
    queued = [];
    send(events);
  };
  return {
    push: (event) => {
      queued.push(event);
      timer ??= setTimeout(flush, intervalMs);
    },
    flush,
    dispose: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      queued = [];
    },
  };
}
