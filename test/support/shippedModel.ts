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

const auditVerdictSchema = z.object({
  token_id: z.number(),
  baseline_prob: z.number(),
  baseline_top_id: z.number(),
  baseline_top_prob: z.number(),
  agrees: z.boolean(),
  accepted: z.boolean(),
});

/** eval/audit-reference.json: the Python reference's audit and verify runs on the golden prompts (training/hamburger/verify.py). */
export const auditReferenceSchema = z.object({
  confidence: z.number().nullable(),
  max_new_tokens: z.number(),
  prompts: z.array(
    z.object({
      id: z.string(),
      family: z.string(),
      prompt: z.string(),
      prompt_ids: z.array(z.number()),
      hamburger_output_ids: z.array(z.number()),
      audit: z.object({
        steps: z.array(z.object({ token_ids: z.array(z.number()), verdicts: z.array(auditVerdictSchema), accepted_prefix: z.number() })),
        totals: z.object({
          steps: z.number(),
          checked: z.number(),
          agreed: z.number(),
          accepted: z.number(),
          agreement_rate: z.number(),
          mean_accepted_prefix: z.number(),
        }),
      }),
      verify: z.object({
        output_ids: z.array(z.number()),
        steps: z.array(z.object({ drafts: z.array(z.number()), draft_reason: z.enum(['stop_head', 'max_steps', 'eos', 'limit']), accepted: z.number(), token: z.number().nullable() })),
        totals: z.object({
          steps: z.number(),
          drafts: z.number(),
          accepted: z.number(),
          acceptance_rate: z.number(),
          mean_accepted_prefix: z.number(),
          baseline_forwards: z.number(),
          baseline_forwards_per_token: z.number(),
        }),
      }),
    }),
  ),
});
export type AuditReference = z.infer<typeof auditReferenceSchema>;

export function readAuditReference(): AuditReference {
  return auditReferenceSchema.parse(JSON.parse(readFileSync(path.join(MODEL_DIR, 'eval', 'audit-reference.json'), 'utf8')));
}
