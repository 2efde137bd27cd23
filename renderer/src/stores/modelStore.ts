// The model all lanes run, and the connection to the host that runs them.
import { create } from 'zustand';
import type { EngineErrorInfo, LoadProgress, ModelInfo } from '../../../engine/api';
import type { ConnectionState } from '../../../host/protocol';

interface ModelState {
  model: ModelInfo | null;
  loading: boolean;
  /** The model picker's load in progress, null between loads. */
  progress: LoadProgress | null;
  /** Graphs opening outside a picker load (the baseline's, on a run's first use), null when none. */
  opening: LoadProgress | null;
  loadError: EngineErrorInfo | null;
  connection: ConnectionState;
  setModel(model: ModelInfo | null): void;
  setLoading(loading: boolean): void;
  setProgress(progress: LoadProgress | null): void;
  setOpening(opening: LoadProgress | null): void;
  setLoadError(error: EngineErrorInfo | null): void;
  setConnection(connection: ConnectionState): void;
}

export const useModelStore = create<ModelState>((set) => ({
  model: null,
  loading: false,
  progress: null,
  opening: null,
  loadError: null,
  connection: 'connecting',
  setModel: (model) => set({ model }),
  // A load that ends, however it ends, has no progress to show.
  setLoading: (loading) => set(loading ? { loading } : { loading, progress: null }),
  setProgress: (progress) => set({ progress }),
  setOpening: (opening) => set({ opening }),
  setLoadError: (loadError) => set({ loadError }),
  setConnection: (connection) => set({ connection }),
}));
