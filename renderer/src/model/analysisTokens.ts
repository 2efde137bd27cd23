// An analysis as the UI lists it: per token of the text, its probability, the entropy of the
// distribution it was scored from, the model's greedy choice where it differs, and the reason
// its group ended there; plus the text's figures, computed as the engine computes them.
import type { MacroStep, StopReason, TextAnalysis } from '../../../engine/api';
import { textAnalysisOf } from '../../../engine/textAnalysis';

export interface AnalysedToken {
  group: number;
  text: string;
  prob: number;
  entropy: number;
  /** The model's greedy choice at this place, when it is another token. */
  greedyText: string | null;
  /** Why the token's group ended after it; null inside a group. */
  groupEnd: StopReason | null;
}

export function analysedTokens(steps: readonly MacroStep[], shown: number): AnalysedToken[] {
  return steps.slice(0, shown).flatMap((step) =>
    step.micro.map((m) => ({
      group: step.index,
      text: m.text,
      prob: m.prob,
      entropy: m.entropy,
      greedyText: m.top[0]!.tokenId === m.tokenId ? null : m.top[0]!.text,
      groupEnd: m.stopReason,
    })),
  );
}

/** The figures of the text's first `shown` groups (all of them: the engine's result.analysis). */
export function shownAnalysis(steps: readonly MacroStep[], shown: number): TextAnalysis {
  return textAnalysisOf(steps.slice(0, shown).flatMap((step) => step.micro));
}
