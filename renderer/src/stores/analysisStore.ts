// The text the playground's analysis scores (its prompt and confidence are the run settings').
import { create } from 'zustand';

interface AnalysisState {
  text: string;
  setText(text: string): void;
}

export const useAnalysisStore = create<AnalysisState>((set) => ({
  text: '',
  setText: (text) => set({ text }),
}));
