// How fast runs appear on screen: as fast as the engine goes, N macro steps per second, or
// one step per key press. Only the display is paced; the figures stay the engine's own.
import { create } from 'zustand';

export type Pace = { kind: 'realtime' } | { kind: 'rate'; stepsPerSecond: number } | { kind: 'manual' };

export const PACE_RATES = [1, 2, 5, 10, 30] as const;

interface PaceState {
  pace: Pace;
  /** Replays advance only while playing; live runs always follow the pace. */
  playing: boolean;
  setPace(pace: Pace): void;
  setPlaying(playing: boolean): void;
}

export const usePaceStore = create<PaceState>((set) => ({
  pace: { kind: 'realtime' },
  playing: true,
  setPace: (pace) => set({ pace }),
  setPlaying: (playing) => set({ playing }),
}));

export function paceLabel(pace: Pace): string {
  switch (pace.kind) {
    case 'realtime':
      return 'real time';
    case 'rate':
      return `${pace.stepsPerSecond} steps/s`;
    case 'manual':
      return 'one step per key press';
  }
}
