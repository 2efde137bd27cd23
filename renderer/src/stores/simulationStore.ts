// The timing simulation the page's address asked for (model/timingSimulation.ts), set once at
// start-up; the race sends its schedule and the race view's banner reads its label.
import { create } from 'zustand';
import { NO_SIMULATION, type TimingSimulation } from '../model/timingSimulation';

export const useSimulationStore = create<TimingSimulation>(() => NO_SIMULATION);
