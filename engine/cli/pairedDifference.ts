// The difference between two accuracies measured on the same examples, with Newcombe's
// square-and-add interval for paired proportions (Statistics in Medicine 17:2635, 1998,
// method 10). The eval has 100 examples per family: a few points either way can be the draw
// of examples, and the interval says how far it can.

/** How two models did on one set of examples: both right, only the first, only the second, neither. */
export interface PairedOutcomes {
  both: number;
  firstOnly: number;
  secondOnly: number;
  neither: number;
}

/** The first model's accuracy minus the second's, with its interval; all as fractions. */
export interface AccuracyDifference {
  estimate: number;
  low: number;
  high: number;
}

/** The standard normal quantile for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

export function wilsonInterval(successes: number, n: number, z = Z95): { low: number; high: number } {
  const z2 = z * z;
  const centre = (successes + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((successes * (n - successes)) / n + z2 / 4)) / (n + z2);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function pairedDifference(outcomes: PairedOutcomes, z = Z95): AccuracyDifference {
  const { both, firstOnly, secondOnly, neither } = outcomes;
  for (const [name, count] of Object.entries(outcomes)) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`${name} must be a count (an integer >= 0), got ${count}`);
  }
  const n = both + firstOnly + secondOnly + neither;
  if (n === 0) throw new RangeError('a paired difference needs at least one example');
  const first = both + firstOnly;
  const second = both + secondOnly;
  const p1 = first / n;
  const p2 = second / n;
  const w1 = wilsonInterval(first, n, z);
  const w2 = wilsonInterval(second, n, z);
  // The two accuracies are correlated through the shared examples; Newcombe's continuity
  // correction shrinks a positive correlation by n/2 in the cross-product.
  const margins = first * (n - first) * second * (n - second);
  const cross = both * neither - firstOnly * secondOnly;
  const corrected = cross > n / 2 ? cross - n / 2 : cross >= 0 ? 0 : cross;
  const psi = margins === 0 ? 0 : corrected / Math.sqrt(margins);
  const spread = (a: number, b: number): number => Math.sqrt(Math.max(0, a * a + b * b - 2 * psi * a * b));
  const estimate = p1 - p2;
  return {
    estimate,
    low: estimate - spread(p1 - w1.low, w2.high - p2),
    high: estimate + spread(p2 - w2.low, w1.high - p1),
  };
}

/** The same from an evaluation's counts: n examples, the first model right on `firstCorrect`, and the discordant pairs. */
export function differenceOfCounts(n: number, firstCorrect: number, firstOnly: number, secondOnly: number, z = Z95): AccuracyDifference {
  const both = firstCorrect - firstOnly;
  return pairedDifference({ both, firstOnly, secondOnly, neither: n - both - firstOnly - secondOnly }, z);
}

/** Points with a sign and one decimal: "-3.0 [-7.9, +1.8]". */
export function formatDifference(d: AccuracyDifference): string {
  const points = (v: number): string => {
    const text = (100 * v).toFixed(1);
    return v > 0 && text !== '0.0' ? `+${text}` : text === '-0.0' ? '0.0' : text;
  };
  return `${points(d.estimate)} [${points(d.low)}, ${points(d.high)}]`;
}
