// A timing simulation, asked for in the page's address (`?forced-groups=4,2,2&weights=random`,
// as scripts/raceScreenshot.ts opens it): the race's runs are forced to a recorded schedule of
// group sizes (the engine's `forcedGroupSizes`), and the race view says so from what each run
// reports, so a screenshot cannot be taken for the model's own speed.

export interface TimingSimulation {
  /** Sent with every race lane's request; null: the model's own stop decisions. */
  forcedGroupSizes: number[] | null;
  /** Whoever opened the page says the package's weights are random (a synthetic package). */
  randomWeights: boolean;
}

export const NO_SIMULATION: TimingSimulation = { forcedGroupSizes: null, randomWeights: false };

// Sizes shown in the banner; a longer schedule ends in an ellipsis.
const SHOWN_SIZES = 16;

export function simulationFromQuery(search: string): TimingSimulation {
  const params = new URLSearchParams(search);
  const forced = params.get('forced-groups');
  return {
    // Not checked here: the engine checks the sizes, and the race shows its message.
    forcedGroupSizes: forced === null ? null : forced.split(',').map(Number),
    randomWeights: params.get('weights') === 'random',
  };
}

/** The banner over the race when a run was forced to `schedule` (the run's own settings), else null. */
export function simulationNote(schedule: readonly number[] | undefined, randomWeights: boolean): string | null {
  if (schedule === undefined) return null;
  const sizes = schedule.slice(0, SHOWN_SIZES).join(', ') + (schedule.length > SHOWN_SIZES ? ', …' : '');
  const forced = `each step's group size is forced from a recorded schedule (${sizes}, repeated), not chosen by the model; tokens/s are the cost of that schedule, not the model's own speed.`;
  return randomWeights
    ? `Timing simulation with random weights: ${forced} The weights are random numbers (a synthetic package), so the text means nothing.`
    : `Timing simulation: ${forced}`;
}
