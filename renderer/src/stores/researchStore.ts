// The perplexity-against-speed view: whether it replaces the usual charts, and the rolling
// perplexity's window (emitted tokens). Small actions only; the series live in model/.
import { create } from 'zustand';
import { z } from 'zod';
import { DEFAULT_WINDOW_TOKENS, MAX_WINDOW_TOKENS, MIN_WINDOW_TOKENS } from '../model/perplexitySpeed';

const WINDOW_RULE = `a whole number of tokens from ${MIN_WINDOW_TOKENS} to ${MAX_WINDOW_TOKENS}`;

export const windowTokensSchema = z
  .number({ error: `the window is ${WINDOW_RULE}` })
  .int({ error: `the window is ${WINDOW_RULE}` })
  .min(MIN_WINDOW_TOKENS, { error: `the window is ${WINDOW_RULE}` })
  .max(MAX_WINDOW_TOKENS, { error: `the window is ${WINDOW_RULE}` });

interface ResearchState {
  perplexityOpen: boolean;
  windowTokens: number;
  setPerplexityOpen(open: boolean): void;
  setWindowTokens(tokens: number): void;
}

export const useResearchStore = create<ResearchState>((set) => ({
  perplexityOpen: false,
  windowTokens: DEFAULT_WINDOW_TOKENS,
  setPerplexityOpen: (perplexityOpen) => set({ perplexityOpen }),
  setWindowTokens: (windowTokens) => set({ windowTokens }),
}));
