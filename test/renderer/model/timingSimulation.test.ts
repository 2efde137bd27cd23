import { describe, expect, it } from 'vitest';
import { NO_SIMULATION, simulationFromQuery, simulationNote } from '../../../renderer/src/model/timingSimulation';

describe('simulationFromQuery', () => {
  it('reads the forced schedule and the random-weights label from the address', () => {
    expect(simulationFromQuery('?forced-groups=4,2,2,1&weights=random')).toEqual({ forcedGroupSizes: [4, 2, 2, 1], randomWeights: true });
  });

  it('is no simulation without the flags', () => {
    expect(simulationFromQuery('')).toEqual(NO_SIMULATION);
    expect(simulationFromQuery('?weights=trained').randomWeights).toBe(false);
  });

  it('passes sizes through unchecked, for the engine to refuse by name', () => {
    expect(simulationFromQuery('?forced-groups=4,,x').forcedGroupSizes).toEqual([4, 0, NaN]);
  });
});

describe('simulationNote', () => {
  it('is null for a run the model decided itself', () => {
    expect(simulationNote(undefined, true)).toBeNull();
  });

  it('names the timing simulation and the schedule of a forced run', () => {
    const note = simulationNote([4, 2, 2], false)!;
    expect(note).toMatch(/^Timing simulation: each step's group size is forced from a recorded schedule \(4, 2, 2, repeated\)/);
    expect(note).not.toContain('random');
  });

  it('says the weights are random when the page was told so', () => {
    expect(simulationNote([4, 2], true)).toMatch(/^Timing simulation with random weights: .* The weights are random numbers/);
  });

  it('shortens a long schedule', () => {
    const note = simulationNote(Array.from({ length: 40 }, () => 3), false)!;
    expect(note).toContain(`(${Array<number>(16).fill(3).join(', ')}, …, repeated)`);
  });
});
