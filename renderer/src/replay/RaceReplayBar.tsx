// The race replay's scrubber: one cursor for every lane (each stops at its own last step),
// play/pause, and where each lane is.
import type { LaneId } from '../../../host/protocol';
import { scrub } from '../controller';
import { useRunStore } from '../stores/runStore';
import { usePaceStore } from '../stores/paceStore';
import { PaceControl } from '../views/PaceControl';

export function RaceReplayBar({ lanes }: { lanes: readonly LaneId[] }) {
  const playing = usePaceStore((state) => state.playing);
  const setPlaying = usePaceStore((state) => state.setPlaying);
  const counts = useRunStore((state) => lanes.map((lane) => `${state.runs[lane]?.shown ?? 0}/${state.runs[lane]?.steps.length ?? 0}`).join(' '));
  const cursors = counts.split(' ').map((c) => c.split('/').map(Number) as [number, number]);
  const longest = Math.max(0, ...cursors.map(([, total]) => total));
  const furthest = Math.max(0, ...cursors.map(([shown]) => shown));
  return (
    <div className="replay-bar" data-testid="replay-bar">
      <button type="button" onClick={() => setPlaying(!playing)} data-testid="play" aria-label={playing ? 'Pause replay' : 'Play replay'}>
        {playing ? '❚❚' : '▶'}
      </button>
      <input
        type="range"
        min={0}
        max={longest}
        value={furthest}
        onChange={(e) => lanes.forEach((lane) => scrub(lane, Number(e.target.value)))}
        aria-label="Scrub every lane through its macro steps"
        data-testid="scrubber"
      />
      {lanes.map((lane, i) => (
        <span key={lane} className={`step-count series-${i}-text`} data-testid={`step-count-${lane}`}>
          step {cursors[i]![0]} / {cursors[i]![1]}
        </span>
      ))}
      <PaceControl />
    </div>
  );
}
