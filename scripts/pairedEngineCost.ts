// What a change costs the engine per token, measured as pairs: the engines of two checkouts
// (before and after, e.g. `git worktree add /tmp/before <commit>` with node_modules linked)
// loaded in this one process, the bench prompts run alternately on each (the order flipping
// every round), so both see the same machine at the same moments. Prints one JSON object: per
// checkout the median over rounds of the time per token outside session.run, of the macro
// step and of session.run per step; and the paired medians of the difference.
// Usage: tsx scripts/pairedEngineCost.ts --before DIR --after DIR [--mode hamburger] [--rounds 20] [--tokens 128]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { GenerationResult, Mode } from '../engine/api.js';
import { BENCH_PROMPTS } from '../engine/cli/benchPrompts.js';

interface Engine {
  generate(input: unknown, onEvent: () => void): { done: Promise<GenerationResult> };
  dispose(): Promise<void>;
}

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    mode: { type: 'string', default: 'hamburger' },
    rounds: { type: 'string', default: '20' },
    tokens: { type: 'string', default: '128' },
  },
});
if (values.before === undefined || values.after === undefined) throw new Error('--before and --after (two checkouts) are required');
const trees = [path.resolve(values.before), path.resolve(values.after)];
const mode = values.mode as Mode;
const rounds = Number(values.rounds);
const tokens = Number(values.tokens);

async function loadEngine(tree: string): Promise<Engine> {
  const { HamburgerEngine } = (await import(pathToFileURL(path.join(tree, 'engine/engine.ts')).href)) as {
    HamburgerEngine: { load(dir: string, options: { threads: number }): Promise<Engine> };
  };
  return HamburgerEngine.load(path.join(tree, 'models/hamburger-tiny'), { threads: 1 });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const engines = [await loadEngine(trees[0]!), await loadEngine(trees[1]!)];
// Per checkout, per round: µs per token outside session.run, ms per macro step, session ms per step.
const own: number[][] = [[], []];
const step: number[][] = [[], []];
const session: number[][] = [[], []];
try {
  for (let round = 0; round < rounds; round++) {
    const sums = [0, 1].map(() => ({ elapsed: 0, session: 0, tokens: 0, steps: 0 }));
    for (const { prompt } of BENCH_PROMPTS) {
      for (const e of round % 2 === 0 ? [0, 1] : [1, 0]) {
        const result = await engines[e]!.generate({ prompt, mode, maxNewTokens: tokens }, () => undefined).done;
        const sum = sums[e]!;
        sum.elapsed += result.elapsedMs;
        sum.session += result.sessionMs;
        sum.tokens += result.tokens;
        sum.steps += result.macroSteps;
      }
    }
    for (const e of [0, 1]) {
      const sum = sums[e]!;
      own[e]!.push(((sum.elapsed - sum.session) * 1000) / sum.tokens);
      step[e]!.push(sum.elapsed / sum.steps);
      session[e]!.push(sum.session / sum.steps);
    }
  }
} finally {
  await Promise.all(engines.map((engine) => engine.dispose()));
}
const side = (e: number) => ({ tree: trees[e], own_us_per_token: median(own[e]!), step_ms: median(step[e]!), session_ms_per_step: median(session[e]!) });
console.log(
  JSON.stringify(
    {
      mode,
      rounds,
      before: side(0),
      after: side(1),
      paired: {
        own_us_per_token: median(own[1]!.map((x, i) => x - own[0]![i]!)),
        step_ratio: median(step[1]!.map((x, i) => x / step[0]![i]!)),
        session_ratio: median(session[1]!.map((x, i) => x / session[0]![i]!)),
      },
    },
    null,
    2,
  ),
);
