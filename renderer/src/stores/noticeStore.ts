// Messages for the user: errors from the engine or the transport, and confirmations.
import { create } from 'zustand';

export interface Notice {
  id: number;
  tone: 'error' | 'info';
  text: string;
}

const MAX_NOTICES = 4;
const INFO_LIFETIME_MS = 4000;

interface NoticeState {
  notices: Notice[];
  push(tone: Notice['tone'], text: string): void;
  dismiss(id: number): void;
}

let nextId = 1;

export const useNoticeStore = create<NoticeState>((set, get) => ({
  notices: [],
  push: (tone, text) => {
    const id = nextId++;
    set((state) => ({ notices: [...state.notices, { id, tone, text }].slice(-MAX_NOTICES) }));
    if (tone === 'info') setTimeout(() => get().dismiss(id), INFO_LIFETIME_MS);
  },
  dismiss: (id) => set((state) => ({ notices: state.notices.filter((n) => n.id !== id) })),
}));
