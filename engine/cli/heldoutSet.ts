// The held-out task split the Python side writes to models/<name>/eval/heldout.jsonl.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { HamburgerEngine } from '../engine.js';
import { EngineError } from '../errors.js';

export const heldoutExampleSchema = z.object({ id: z.string(), family: z.string(), prompt: z.string(), response: z.string() });
export type HeldoutExample = z.infer<typeof heldoutExampleSchema>;

export async function readHeldout(file: string): Promise<HeldoutExample[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new EngineError('invalid_request', `held-out set ${file} not found (the training pipeline writes it)`, { field: 'file', cause });
  }
  return text
    .split('\n')
    .map((line, i) => [line, i] as const)
    .filter(([line]) => line.trim() !== '')
    .map(([line, i]) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new EngineError('invalid_request', `${file} line ${i + 1} is not JSON; each line holds one example {id, family, prompt, response}`, { field: 'file' });
      }
      const parsed = heldoutExampleSchema.safeParse(json);
      if (!parsed.success) throw new EngineError('invalid_request', `${file} line ${i + 1}: ${parsed.error.issues[0]?.message}`, { field: 'file' });
      return parsed.data;
    });
}

/** The first `limit` examples of each family, in file order (0: all), as the Python evaluator picks them. */
export function firstPerFamily(examples: readonly HeldoutExample[], limit: number): HeldoutExample[] {
  if (limit === 0) return [...examples];
  const counts = new Map<string, number>();
  return examples.filter((e) => {
    const n = (counts.get(e.family) ?? 0) + 1;
    counts.set(e.family, n);
    return n <= limit;
  });
}

/** Exact match as the task definition has it: output and expected response equal once stripped. */
export function isExactMatch(output: string, expected: string): boolean {
  return output.trim() === expected.trim();
}

/** As EVAL_MAX_NEW_TOKENS of the Python evaluator. */
export const EVAL_MAX_NEW_TOKENS = 192;

/**
 * New tokens allowed for one held-out answer, as answer_budget of the Python evaluator:
 * EVAL_MAX_NEW_TOKENS, or the expected answer and its end of sequence when those are longer
 * (a byte-level package's longest copy answers run to 271 tokens), so no answer is cut short.
 */
export function answerBudget(engine: HamburgerEngine, response: string): number {
  return Math.max(EVAL_MAX_NEW_TOKENS, engine.encodePrompt(response, false).tokenIds.length + 1);
}
