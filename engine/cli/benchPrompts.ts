// The fixed prompt mix of `bench`: structured tasks (where HAMburger should smash several
// tokens per step) and free text (where it should not), in the formats the model was trained on.
export interface BenchPrompt {
  family: string;
  prompt: string;
}

/** Families whose prompts are not structured tasks: left out of `structured_tps_ratio`. */
export const FREE_TEXT_FAMILIES: ReadonlySet<string> = new Set(['continue']);

export const BENCH_PROMPTS: readonly BenchPrompt[] = [
  { family: 'count', prompt: 'Count from 37 to 56.' },
  { family: 'json', prompt: 'Make a JSON object with name = Ada Lovelace, age = 36, city = London, language = English.' },
  { family: 'table', prompt: 'Create a markdown table.\nColumns: name, color, size\napple, red, 3\nbanana, yellow, 5\ncherry, red, 1' },
  { family: 'arithmetic', prompt: 'Calculate 482 + 739 step by step.' },
  { family: 'copy', prompt: 'Repeat this passage exactly:\nThe committee met on Tuesday and decided that the new bridge would be built before the end of the year.' },
  { family: 'spell', prompt: "Spell the word government letter by letter." },
  { family: 'continue', prompt: 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.' },
];
