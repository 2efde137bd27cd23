// The model all lanes run, and the connection to the host that runs them.
import { create } from 'zustand';
import type { ConnectionState, EngineErrorInfo, ModelInfo } from '../../../engine/api';

interface ModelState {
  model: ModelInfo | null;
  loading: boolean;
  loadError: EngineErrorInfo | null;
  connection: ConnectionState;
  setModel(model: ModelInfo | null): void;
  setLoading(loading: boolean): void;
  setLoadError(error: EngineErrorInfo | null): void;
  setConnection(connection: ConnectionState): void;
}

export const useModelStore = create<ModelState>((set) => ({
  model: null,
  loading: false,
  loadError: null,
  connection: 'connecting',
  setModel: (model) => set({ model }),
  setLoading: (loading) => set({ loading }),
  setLoadError: (loadError) => set({ loadError }),
  setConnection: (connection) => set({ connection }),
}));
