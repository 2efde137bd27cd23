// The parts one decoding mode runs with. `hamburger` and `hamburger-single-token` share
// the HAMburger graphs (and their KV cache: an engine runs one generation at a time);
// `baseline-graphs` has its own. The verifier of audit and verify runs has a cache of its own
// over the baseline graphs (or, without them, the HAMburger graphs one token per step).
import type { RunSettings } from './api.js';
import { BaseForward } from './baseForward.js';
import { BaselineVerifier } from './baselineVerifier.js';
import type { KvCache } from './kvCache.js';
import type { Architecture } from './manifest.js';
import { defaultKvBudgetBytes, resolveContext } from './memoryBudget.js';
import { MicroStepDecoder } from './microStepDecoder.js';
import type { ModelPackage } from './modelPackage.js';
import { createTokenEmbedder, type TokenEmbedder } from './tokenEmbedder.js';

export type DecoderKind = RunSettings['decoder'];

export interface DecoderSet {
  kind: DecoderKind;
  architecture: Architecture;
  /** Positions a run may use (prompt + generated): the load's context. */
  context: number;
  embedder: TokenEmbedder;
  base: BaseForward;
  /** Null when every macro step is one token. */
  micro: MicroStepDecoder | null;
  maxTokensPerStep: number;
}

function baseFor(arch: Architecture, context: number, initialRows: number | undefined, session: ModelPackage['graphs']['base'], hamburger: boolean): BaseForward {
  return new BaseForward(
    session,
    {
      layers: arch.num_layers,
      kvHeads: arch.num_kv_heads,
      headDim: arch.head_dim,
      hiddenSize: arch.hidden_size,
      vocabSize: arch.vocab_size,
      featureCount: arch.feature_layers.length,
      context,
      initialRows,
    },
    hamburger,
  );
}

export interface DecoderSets {
  hamburger: DecoderSet;
  /** What `baseline` mode runs: the package's baseline graphs, or the HAMburger graphs one token per step. */
  baseline: DecoderSet;
  /** What checks HAMburger's tokens in audit and verify runs: the same model as `baseline`. */
  verifier: BaselineVerifier;
  /** Every KV cache above, each once. */
  caches: KvCache[];
}

export interface ContextOptions {
  /** Positions asked for; undefined = the manifest's max_position, as far as the budget allows. */
  context?: number;
  /** Most bytes the KV caches may grow to together. */
  kvBudgetBytes?: number;
  /** Rows each KV cache starts with. */
  kvInitialRows?: number;
}

export async function createDecoderSets(pkg: ModelPackage, options: ContextOptions = {}): Promise<DecoderSets> {
  const arch = pkg.manifest.architecture;
  // The HAMburger base's cache, then baseline mode's and the verifier's (the micro decoder's is max_steps rows).
  const caches = pkg.baseline === null ? [arch, arch] : [arch, pkg.baseline.architecture, pkg.baseline.architecture];
  const context = resolveContext(caches, arch.max_position, options.context, options.kvBudgetBytes ?? defaultKvBudgetBytes());
  const d = arch.hidden_size;
  const embedder = await createTokenEmbedder(pkg.graphs.embed, arch.vocab_size, d);
  const initialRows = options.kvInitialRows;
  const base = baseFor(arch, context, initialRows, pkg.graphs.base, true);
  const micro = new MicroStepDecoder(pkg.graphs.micro, {
    layers: arch.micro_layers,
    kvHeads: arch.num_kv_heads,
    headDim: arch.head_dim,
    hiddenSize: d,
    vocabSize: arch.vocab_size,
    featureCount: arch.feature_layers.length,
    context: arch.feature_layers.length + arch.max_steps,
  });
  const hamburger: DecoderSet = { kind: 'hamburger', architecture: arch, context, embedder, base, micro, maxTokensPerStep: arch.max_steps };
  if (pkg.baseline === null) {
    const verifier = new BaselineVerifier(
      { kind: 'hamburger-single-token', architecture: arch, embedder, base: pkg.graphs.base, heads: pkg.graphs.heads, composesGroup: true },
      arch.max_steps,
      { context, initialRows },
    );
    return {
      hamburger,
      baseline: { ...hamburger, kind: 'hamburger-single-token', micro: null, maxTokensPerStep: 1 },
      verifier,
      caches: [base.cache, micro.cache, verifier.cache],
    };
  }
  const b = pkg.baseline;
  const bArch = b.architecture;
  const bEmbedder = await createTokenEmbedder(b.embed, bArch.vocab_size, bArch.hidden_size);
  const baseline: DecoderSet = {
    kind: 'baseline-graphs',
    architecture: bArch,
    context,
    embedder: bEmbedder,
    base: baseFor(bArch, context, initialRows, b.base, false),
    micro: null,
    maxTokensPerStep: 1,
  };
  const verifier = new BaselineVerifier(
    { kind: 'baseline-graphs', architecture: bArch, embedder: bEmbedder, base: b.base, heads: b.heads, composesGroup: false },
    arch.max_steps,
    { context, initialRows },
  );
  return { hamburger, baseline, verifier, caches: [base.cache, micro.cache, baseline.base.cache, verifier.cache] };
}
