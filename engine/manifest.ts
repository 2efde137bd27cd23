// The manifest `hamburger.json` of a model package (docs/model-package.md), read and checked.
import path from 'node:path';
import { z } from 'zod';
import { WEIGHT_FORMATS } from './api.js';
import { EngineError } from './errors.js';
import { PACKAGE_FILE_LIMITS, readPackageJson } from './packageFile.js';

export const MANIFEST_FILE = 'hamburger.json';
export const MODEL_FORMAT = 'hamburger-onnx';
export const MODEL_FORMAT_VERSION = 1;

const positiveInt = z.number().int().positive();

/**
 * Upper bounds on a manifest's sizes: far above any real model (Llama 3.1 405B has 126
 * layers, 16,384 hidden, 128k positions; the largest vocabularies about 260k), low enough
 * that no buffer sized from them overflows an array length before the KV budget is checked.
 */
export const MANIFEST_LIMITS = {
  hidden_size: 65_536,
  num_layers: 1_024,
  num_heads: 1_024,
  head_dim: 1_024,
  intermediate_size: 1_048_576,
  vocab_size: 2_097_152,
  max_position: 1_048_576,
  micro_layers: 64,
  max_steps: 64,
} as const;

const bounded = (max: number) => positiveInt.max(max, { error: () => `must be <= ${max}` });
const fileName = z
  .string()
  .min(1)
  .refine((name) => !path.isAbsolute(name) && !name.split(/[\\/]/).includes('..'), {
    message: 'must be a file name inside the package folder',
  });

const architectureSchema = z
  .object({
    hidden_size: bounded(MANIFEST_LIMITS.hidden_size),
    num_layers: bounded(MANIFEST_LIMITS.num_layers),
    num_heads: bounded(MANIFEST_LIMITS.num_heads),
    num_kv_heads: bounded(MANIFEST_LIMITS.num_heads),
    head_dim: bounded(MANIFEST_LIMITS.head_dim),
    intermediate_size: bounded(MANIFEST_LIMITS.intermediate_size),
    vocab_size: bounded(MANIFEST_LIMITS.vocab_size),
    max_position: z.number().int().min(2).max(MANIFEST_LIMITS.max_position, { error: () => `must be <= ${MANIFEST_LIMITS.max_position}` }),
    rope_theta: z.number().positive(),
    rms_norm_eps: z.number().positive(),
    micro_layers: z.number().int().min(0).max(MANIFEST_LIMITS.micro_layers, { error: () => `must be <= ${MANIFEST_LIMITS.micro_layers}` }),
    max_steps: bounded(MANIFEST_LIMITS.max_steps),
    feature_layers: z.array(positiveInt).min(1).max(MANIFEST_LIMITS.num_layers),
  })
  .superRefine((arch, ctx) => {
    if (arch.num_heads % arch.num_kv_heads !== 0) {
      ctx.addIssue({ code: 'custom', path: ['num_kv_heads'], message: `must divide num_heads (${arch.num_heads})` });
    }
    if (arch.feature_layers.at(-1) !== arch.num_layers) {
      ctx.addIssue({ code: 'custom', path: ['feature_layers'], message: `must end with num_layers (${arch.num_layers})` });
    }
    if (arch.feature_layers.some((layer) => layer > arch.num_layers)) {
      ctx.addIssue({ code: 'custom', path: ['feature_layers'], message: `entries must lie in 1..${arch.num_layers}` });
    }
  });
export type Architecture = z.infer<typeof architectureSchema>;

const tokenId = z.number().int().min(0);

export const manifestSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    format_version: z.literal(MODEL_FORMAT_VERSION),
    name: z.string().min(1),
    description: z.string(),
    provenance: z.record(z.string(), z.unknown()).optional(),
    architecture: architectureSchema,
    tokens: z.object({
      bos_id: tokenId,
      eos_id: tokenId,
      /** Ids that end a run (Llama 3: <|end_of_text|>, <|eom_id|>, <|eot_id|>); absent: [eos_id]. */
      stop_ids: z.array(tokenId).min(1).max(64).optional(),
      pad_id: tokenId,
      user_id: tokenId.optional(),
      assistant_id: tokenId.optional(),
      chat_template: z.string().min(1),
    }),
    defaults: z.object({
      confidence: z.number().min(0).max(1).nullable(),
      max_new_tokens: positiveInt,
    }),
    graphs: z.object({ embed: fileName, base: fileName, micro: fileName, heads: fileName }),
    baseline: z
      .object({
        architecture: architectureSchema,
        graphs: z.object({ embed: fileName, base: fileName, heads: fileName }),
      })
      .optional(),
    /** How the graphs store their weights (docs/real-models.md); absent: fp16, as packages before the field. */
    weights: z.enum(WEIGHT_FORMATS).default('fp16'),
    /** External weight files (`<graph>.onnx.data`) and their sizes in bytes, for graphs over ONNX's 2 GB. */
    external_data: z.record(fileName, z.number().int().nonnegative()).optional(),
  })
  .superRefine((m, ctx) => {
    const { vocab_size: vocab, micro_layers: microLayers, max_position: maxPosition } = m.architecture;
    for (const key of ['bos_id', 'eos_id', 'pad_id', 'user_id', 'assistant_id'] as const) {
      const id = m.tokens[key];
      if (id !== undefined && id >= vocab) {
        ctx.addIssue({ code: 'custom', path: ['tokens', key], message: `must be < vocab_size (${vocab})` });
      }
    }
    for (const [i, id] of (m.tokens.stop_ids ?? []).entries()) {
      if (id >= vocab) ctx.addIssue({ code: 'custom', path: ['tokens', 'stop_ids', i], message: `must be < vocab_size (${vocab})` });
    }
    if (microLayers < 1) {
      ctx.addIssue({ code: 'custom', path: ['architecture', 'micro_layers'], message: 'must be >= 1 for a HAMburger model' });
    }
    if (m.defaults.max_new_tokens > maxPosition - 1) {
      ctx.addIssue({ code: 'custom', path: ['defaults', 'max_new_tokens'], message: `must be <= max_position - 1 (${maxPosition - 1})` });
    }
    if (m.baseline) {
      const b = m.baseline.architecture;
      for (const key of ['hidden_size', 'vocab_size', 'max_position'] as const) {
        if (b[key] !== m.architecture[key]) {
          ctx.addIssue({ code: 'custom', path: ['baseline', 'architecture', key], message: `must equal architecture.${key} (${m.architecture[key]})` });
        }
      }
    }
  });
export type Manifest = z.infer<typeof manifestSchema>;

/** The ids that end a run: the manifest's stop_ids, or its eos_id alone. */
export function stopIdsOf(manifest: Manifest): number[] {
  return manifest.tokens.stop_ids ?? [manifest.tokens.eos_id];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  return `${where}: ${issue.message}`;
}

/** Parses a manifest object; one EngineError naming the first bad field and listing every problem. */
export function parseManifest(raw: unknown, source: string): Manifest {
  const parsed = manifestSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const first = issues[0];
  const field = first && first.path.length > 0 ? first.path.join('.') : undefined;
  const details = issues.map(describeIssue).join('; ');
  throw new EngineError('manifest_invalid', `${source} is not a valid HAMburger manifest: ${details}`, field === undefined ? {} : { field });
}

/** Reads and checks `<dir>/hamburger.json`. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.join(dir, MANIFEST_FILE);
  const raw = await readPackageJson(
    file,
    {
      field: MANIFEST_FILE,
      maxBytes: PACKAGE_FILE_LIMITS.manifestBytes,
      missing: (_file, cause) => new EngineError('manifest_missing', `${file} not found: ${dir} is not a HAMburger model package`, { field: MANIFEST_FILE, cause }),
    },
    'manifest_not_json',
  );
  return parseManifest(raw, file);
}
