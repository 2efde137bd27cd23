// The scrubber: where on screen a run is (live or replayed), play/pause for replays, and
// single steps back and forth (also on the arrow keys).
import type { LaneId } from '../../../host/protocol';
import { scrub } from '../controller';
import { useRun } from '../hooks/useRun';
import { usePaceStore } from '../stores/paceStore';
import { PaceControl } from './PaceControl';

export function ReplayBar({ lane }: { lane: LaneId }) {
  const record = useRun(lane);
  const playing = usePaceStore((state) => state.playing);
  const setPlaying = usePaceStore((state) => state.setPlaying);
  const total = record?.steps.length ?? 0;
  const shown = record?.shown ?? 0;
  const replay = record?.source === 'file';
  return (
    <div className="replay-bar" data-testid="replay-bar">
      {replay && (
        <button type="button" onClick={() => setPlaying(!playing)} data-testid="play" aria-label={playing ? 'Pause replay' : 'Play replay'}>
          {playing ? '❚❚' : '▶'}
        </button>
      )}
      <button type="button" onClick={() => scrub(lane, shown - 1)} disabled={shown <= 0} aria-label="Step back">
        ◀
      </button>
      <input
        type="range"
        min={0}
        max={total}
        value={shown}
        onChange={(e) => scrub(lane, Number(e.target.value))}
        disabled={total === 0}
        aria-label="Scrub through macro steps"
        data-testid="scrubber"
      />
      <button type="button" onClick={() => scrub(lane, shown + 1)} disabled={shown >= total} aria-label="Step forward">
        ▶|
      </button>
      <span className="step-count" data-testid="step-count">
        step {shown} / {total}
      </span>
      <PaceControl />
    </div>
  );
}
