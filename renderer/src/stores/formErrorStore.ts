// The engine's last refusal of a request, shown next to the field it names.
import { create } from 'zustand';
import type { EngineErrorInfo } from '../../../engine/api';

interface FormErrorState {
  error: EngineErrorInfo | null;
  set(error: EngineErrorInfo | null): void;
}

export const useFormErrorStore = create<FormErrorState>((set) => ({
  error: null,
  set: (error) => set({ error }),
}));
