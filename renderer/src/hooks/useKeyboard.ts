// Keyboard control (the whole app, presentation mode above all): space steps, arrows scrub,
// Escape leaves presentation mode, Ctrl+S / Ctrl+O save and open traces.
import { useEffect } from 'react';
import type { LaneId } from '../../../host/protocol';
import { control, RACE_LANES, scrub } from '../controller';
import { isActive } from '../model/runRecord';
import { useRunStore } from '../stores/runStore';
import { useViewStore } from '../stores/viewStore';

export interface KeyboardActions {
  save(): void;
  open(): void;
  exitPresentation(): void;
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** Space: a paused live run takes one macro step; otherwise the on-screen cursor moves one step. */
export function stepOnce(lane: LaneId): void {
  const record = useRunStore.getState().runs[lane];
  if (record === undefined) return;
  if (isActive(record) && record.phase === 'paused' && record.shown >= record.steps.length) void control(lane, 'stepMacro');
  else scrub(lane, record.shown + 1);
}

export function useKeyboard(actions: KeyboardActions): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && (event.key === 's' || event.key === 'o')) {
        event.preventDefault();
        if (event.key === 's') actions.save();
        else actions.open();
        return;
      }
      if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      const lanes: LaneId[] = useViewStore.getState().view === 'race' ? RACE_LANES.map((l) => l.lane) : ['playground'];
      const stride = event.shiftKey ? 10 : 1;
      const move = (delta: number) => lanes.forEach((lane) => scrub(lane, (useRunStore.getState().runs[lane]?.shown ?? 0) + delta));
      switch (event.key) {
        case ' ':
          event.preventDefault();
          lanes.forEach(stepOnce);
          break;
        case 'ArrowRight':
          event.preventDefault();
          move(stride);
          break;
        case 'ArrowLeft':
          event.preventDefault();
          move(-stride);
          break;
        case 'Escape':
          actions.exitPresentation();
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);
}
