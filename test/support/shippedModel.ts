// The shipped package and its golden traces, as every spec reads them (no hard-coded values:
// the random-weights package and the trained one are both checked by the same specs).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MODEL_DIR } from '../../engine/defaultModel.js';

export const MODEL_DIR = DEFAULT_MODEL_DIR;

const goldenMicroSchema = z.object({
  token_id: z.number(),
  prob: z.number(),
  stop_prob: z.number().nullable(),
  top: z.array(z.tuple([z.number(), z.number()])),
  reason: z.enum(['stop_head', 'max_steps', 'eos', 'limit']).nullable(),
});

export const goldenTraceSchema = z.object({
  id: z.string(),
  family: z.string(),
  prompt: z.string(),
  prompt_ids: z.array(z.number()),
  mode: z.enum(['hamburger', 'baseline']),
  confidence: z.number().nullable(),
  max_new_tokens: z.number(),
  steps: z.array(z.object({ position_id: z.number(), token_ids: z.array(z.number()), micro: z.array(goldenMicroSchema) })),
  output_ids: z.array(z.number()),
  text: z.string(),
});
export type GoldenTrace = z.infer<typeof goldenTraceSchema>;

export function goldenTraceFiles(): string[] {
  const dir = path.join(MODEL_DIR, 'golden');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

export function readGoldenTrace(file: string): GoldenTrace {
  return goldenTraceSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export const tokenizerFixtureSchema = z.array(z.object({ text: z.string(), ids: z.array(z.number()) }));

export function readTokenizerFixture(): z.infer<typeof tokenizerFixtureSchema> {
  return tokenizerFixtureSchema.parse(JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer_fixture.json'), 'utf8')));
}
