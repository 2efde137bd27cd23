// Over the race: says the runs are a timing simulation (and, when the page was told so, that
// the weights are random) whenever any lane's run reports forced group sizes.
import type { LaneId } from '../../../host/protocol';
import { simulationNote } from '../model/timingSimulation';
import { useRunStore } from '../stores/runStore';
import { useSimulationStore } from '../stores/simulationStore';

export function SimulationBanner({ lanes }: { lanes: readonly LaneId[] }) {
  // The run's own settings, as the engine echoed them: the banner stays with a forced run.
  const schedule = useRunStore((state) => lanes.map((lane) => state.runs[lane]?.started.settings.forcedGroupSizes).find((sizes) => sizes !== undefined));
  const randomWeights = useSimulationStore((state) => state.randomWeights);
  const note = simulationNote(schedule, randomWeights);
  if (note === null) return null;
  return (
    <p className="simulation-banner" role="note" data-testid="simulation-banner">
      {note}
    </p>
  );
}
