// The renderer's one animation-frame loop: engine events are queued as they arrive and
// folded into the store on a frame when an update is due (FOLD_POLICY: at most 20 a second,
// giving way to the user's input), then each run's on-screen cursor moves by the pace
// control. It runs only while there is something to do.
import type { LaneEvent, LaneId } from '../../host/protocol';
import { lastInputAt } from './inputActivity';
import { FOLD_POLICY, msUntilUpdate } from './model/inputFirst';
import { advanceCursor, clockAt, cursorMoving, type PaceCursor } from './model/pacing';
import { usePaceStore } from './stores/paceStore';
import { useRunStore } from './stores/runStore';

/** A hidden tab gets no animation frames; events are still folded in at this interval. */
const HIDDEN_FLUSH_MS = 250;

const queue: LaneEvent[] = [];
const cursors = new Map<string, PaceCursor>();
let frameRequested = false;
let lastFrameMs: number | null = null;
let lastFoldMs = Number.NEGATIVE_INFINITY;

export function enqueueEvent(event: LaneEvent): void {
  queue.push(event);
  wakeFrameLoop();
}

export function wakeFrameLoop(): void {
  if (frameRequested) return;
  frameRequested = true;
  if (document.hidden) setTimeout(() => frame(performance.now()), HIDDEN_FLUSH_MS);
  else requestAnimationFrame(frame);
}

/** Someone moved a cursor by hand (scrubber, key) or changed the pace: it continues from there. */
export function forgetCursors(lane?: LaneId): void {
  for (const key of cursors.keys()) if (lane === undefined || key.startsWith(`${lane}/`)) cursors.delete(key);
}

function frame(now: number): void {
  frameRequested = false;
  if (msUntilUpdate(now, lastFoldMs, lastInputAt(), FOLD_POLICY) > 0) {
    wakeFrameLoop();
    return;
  }
  lastFoldMs = now;
  const dt = lastFrameMs === null ? 16 : Math.min(250, now - lastFrameMs);
  lastFrameMs = now;
  const runs = useRunStore.getState();
  if (queue.length > 0) runs.applyEvents(queue.splice(0, queue.length));

  const { pace, playing } = usePaceStore.getState();
  let moving = false;
  for (const record of Object.values(useRunStore.getState().runs)) {
    const key = `${record.lane}/${record.started.runId}`;
    const cursor = cursors.get(key) ?? { shown: record.shown, clockMs: pace.kind === 'realtime' ? clockAt(record, record.shown) : 0 };
    const next = advanceCursor(record, pace, playing, dt, cursor.shown === record.shown ? cursor : { shown: record.shown, clockMs: clockAt(record, record.shown) });
    cursors.set(key, next);
    if (next.shown !== record.shown) useRunStore.getState().setShown(record.lane, next.shown);
    const after = useRunStore.getState().runs[record.lane];
    if (after !== undefined && cursorMoving(after, pace, playing)) moving = true;
  }
  if (moving || queue.length > 0) wakeFrameLoop();
  else lastFrameMs = null;
}
