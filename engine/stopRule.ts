/**
 * The stop head's verdict on a micro-step token with stop probability p (HAMBURGER.md):
 * with a confidence level c stop when 1 - p < c; without one, when p > 0.5.
 */
export function stopHeadSaysStop(stopProb: number, confidence: number | null): boolean {
  if (confidence === null) return stopProb > 0.5;
  return 1 - stopProb < confidence;
}
