// The playground's generation settings, as typed by the user (numbers may be out of range:
// the engine checks them and the form shows its message next to the field).
import { create } from 'zustand';
import type { GenerateRequestInput, Mode, PositionConvention } from '../../../engine/api';

export interface GenerationSettings {
  prompt: string;
  /** Confidence level c of the stop rule; null = stop when p > 0.5. */
  confidence: number | null;
  maxNewTokens: number;
  /** End of sequence is suppressed before this many tokens (0: off). */
  minNewTokens: number;
  sampled: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  chatTemplate: boolean;
  /** HAMburger runs: the baseline checks every step (the output does not change). */
  audit: boolean;
  /** A research setting: where a fed-back group's KV entry sits (docs/engine.md). */
  positionConvention: PositionConvention;
}

interface SettingsState extends GenerationSettings {
  update(patch: Partial<GenerationSettings>): void;
}

export const DEFAULT_SETTINGS: GenerationSettings = {
  prompt: '',
  confidence: 0.9,
  maxNewTokens: 256,
  minNewTokens: 0,
  sampled: false,
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  seed: 1,
  chatTemplate: true,
  audit: false,
  positionConvention: 'last_token',
};

export const useSettingsStore = create<SettingsState>((set) => ({
  ...DEFAULT_SETTINGS,
  update: (patch) => set(patch),
}));

export function requestFrom(settings: GenerationSettings, mode: Mode, startPaused: boolean): GenerateRequestInput {
  return {
    prompt: settings.prompt,
    mode,
    confidence: settings.confidence,
    maxNewTokens: settings.maxNewTokens,
    minNewTokens: settings.minNewTokens,
    sampling: settings.sampled
      ? { kind: 'sample', temperature: settings.temperature, topK: settings.topK, topP: settings.topP, seed: settings.seed }
      : { kind: 'greedy' },
    chatTemplate: settings.chatTemplate,
    startPaused,
    // Verify runs carry the baseline's verdicts anyway; baseline runs have nothing to check.
    audit: mode === 'hamburger' && settings.audit,
    positionConvention: settings.positionConvention,
  };
}
