// How a step's stop reason is marked in the stream and named in the legend.
import type { StopReason } from '../../../engine/api';

export const STOP_MARKS: Record<StopReason, { mark: string; label: string }> = {
  stop_head: { mark: '◆', label: 'stop head said stop' },
  max_steps: { mark: '▮', label: 'group full (max_steps)' },
  eos: { mark: 'EOS', label: 'end of sequence' },
  limit: { mark: 'LIM', label: 'token limit reached' },
  forced: { mark: '▯', label: 'group size forced (timing simulation)' },
  diverged: { mark: '≠', label: 'the model would have chosen another token (analysis)' },
};
