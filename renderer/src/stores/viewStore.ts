// What is on screen: the view, theme, presentation mode, the selected KV entry and the
// hovered token. Small actions only; derived data lives in model/.
import { create } from 'zustand';

export const VIEWS = ['playground', 'race', 'debugger'] as const;
export type View = (typeof VIEWS)[number];
export type Theme = 'light' | 'dark';

export interface HoveredToken {
  step: number;
  micro: number;
  /** Where to place the details card (viewport pixels). */
  x: number;
  y: number;
}

interface ViewState {
  view: View;
  theme: Theme;
  presentation: boolean;
  selectedEntry: number | null;
  hovered: HoveredToken | null;
  setView(view: View): void;
  setTheme(theme: Theme): void;
  setPresentation(on: boolean): void;
  selectEntry(index: number | null): void;
  hover(token: HoveredToken | null): void;
}

function initialTheme(): Theme {
  return typeof window !== 'undefined' && window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export const useViewStore = create<ViewState>((set) => ({
  view: 'playground',
  theme: initialTheme(),
  presentation: false,
  selectedEntry: null,
  hovered: null,
  setView: (view) => set({ view, hovered: null }),
  setTheme: (theme) => set({ theme }),
  setPresentation: (presentation) => set({ presentation, hovered: null }),
  selectEntry: (selectedEntry) => set({ selectedEntry }),
  hover: (hovered) => set({ hovered }),
}));
