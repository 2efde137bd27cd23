// Token colouring by probability: confident tokens stay plain, doubtful ones glow warm, so
// the eye goes to where the model hesitated. One scale for the stream, the strip and legends.
import { interpolateRgb } from 'd3';

const WARM = interpolateRgb('rgba(255, 196, 0, 0.35)', 'rgba(230, 57, 70, 0.95)');

/** Background for a token with probability `prob` (null: no probability, e.g. a prompt token). */
export function tokenBackground(prob: number | null): string {
  if (prob === null || prob >= 0.95) return 'transparent';
  return WARM(Math.min(1, (0.95 - prob) / 0.75));
}

export const PROBABILITY_LEGEND = [1, 0.8, 0.6, 0.4, 0.2] as const;
