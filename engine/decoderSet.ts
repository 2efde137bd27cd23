// The parts a run decodes with, made for each run around what its engine loaded once. The
// sessions and embedding tables are the package's, shared by every run; the KV caches and
// the clock of time inside session.run are the run's own, since one engine may have several
// runs under way (the app's race lanes). `hamburger` and `hamburger-single-token` run on the
// HAMburger graphs, `baseline-graphs` on the package's baseline. The verifier of audit and
// verify runs checks over the baseline graphs (or, without them, the HAMburger graphs one
// token per step). Graphs a load left closed (`openOnDemand`) are opened by `openParts`
// before a run that needs them is made.
import type { RunSettings } from './api.js';
import { BaseForward } from './baseForward.js';
import { BaselineVerifier } from './baselineVerifier.js';
import type { KvCache } from './kvCache.js';
import { EngineError } from './errors.js';
import type { Architecture } from './manifest.js';
import { defaultKvBudgetBytes, resolveContext } from './memoryBudget.js';
import { MicroStepDecoder } from './microStepDecoder.js';
import { SessionClock, TimedSession, type LoadedGraph } from './timedSession.js';
import type { ModelPackage } from './modelPackage.js';
import type { OnDemand } from './onDemand.js';
import { createTokenEmbedder, embeddingTable, type TokenEmbedder } from './tokenEmbedder.js';

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

export interface ContextOptions {
  /** Positions asked for; undefined = the manifest's max_position, as far as the budget allows. */
  context?: number;
  /** Most bytes the KV caches of every run together may grow to. */
  kvBudgetBytes?: number;
  /** Rows each KV cache starts with. */
  kvInitialRows?: number;
  /** Runs at once (default 1), each with caches that may grow to the context. */
  runs?: number;
}

/** What every run of a loaded package shares. */
export interface SharedDecoding {
  pkg: ModelPackage;
  context: number;
  initialRows: number | undefined;
  /** Embedding tables held in JS (null: the embed graph is called per lookup; the baseline's undefined until its graphs open). */
  tables: { hamburger: Float32Array | null; baseline: Float32Array | null | undefined };
}

/** What a run needs: its decoder, and whether a verifier checks it (audit, verify). */
export interface RunNeeds {
  decoder: 'hamburger' | 'baseline';
  verifier: boolean;
}

/** Graphs a load may leave closed: the baseline's three, and the HAMburger heads a verifier without baseline runs. */
export type OnDemandPart = 'baseline' | 'heads';

/** The parts a run with these needs runs on that may be closed. */
export function partsFor(pkg: ModelPackage, need: RunNeeds): OnDemandPart[] {
  if (pkg.baseline === null) return need.verifier ? ['heads'] : [];
  return need.decoder === 'baseline' || need.verifier ? ['baseline'] : [];
}

export function isOpen(shared: SharedDecoding, part: OnDemandPart): boolean {
  return part === 'heads' ? shared.pkg.graphs.heads.ready !== null : shared.tables.baseline !== undefined;
}

/** Opens a part (the baseline with its embedding table); a no-op when it is open. */
export async function openPart(shared: SharedDecoding, part: OnDemandPart): Promise<void> {
  const { pkg } = shared;
  if (part === 'heads' || pkg.baseline === null) {
    await pkg.graphs.heads.get();
    return;
  }
  const sessions = await pkg.baseline.sessions.get();
  shared.tables.baseline ??= await tableFor(sessions.embed, pkg.baseline.architecture);
}

/** A model's embedding table when it is small enough to hold (engine/tokenEmbedder.ts), made once per load on a clock of its own. */
function tableFor(embed: LoadedGraph, arch: Architecture): Promise<Float32Array | null> {
  return embeddingTable(new TimedSession(embed, new SessionClock()), arch.vocab_size, arch.hidden_size);
}

function opened<T>(slot: OnDemand<T>, what: string): T {
  if (slot.ready === null) throw new EngineError('internal', `${what} are not open: the engine prepares a run's graphs before it starts`);
  return slot.ready;
}

export async function prepareDecoding(pkg: ModelPackage, options: ContextOptions = {}): Promise<SharedDecoding> {
  const arch = pkg.manifest.architecture;
  // A run's largest set of caches (verify: the HAMburger base and the verifier; the micro
  // decoder's is max_steps rows), once per run that may be under way.
  const verifierArch = pkg.baseline?.architecture ?? arch;
  const caches = Array.from({ length: options.runs ?? 1 }, () => [arch, verifierArch]).flat();
  const context = resolveContext(caches, arch.max_position, options.context, options.kvBudgetBytes ?? defaultKvBudgetBytes());
  const hamburgerTable = await tableFor(pkg.graphs.embed, arch);
  const shared: SharedDecoding = { pkg, context, initialRows: options.kvInitialRows, tables: { hamburger: hamburgerTable, baseline: pkg.baseline === null ? null : undefined } };
  // A load that opened everything has the baseline's table made now, like the HAMburger one.
  if (pkg.baseline?.sessions.ready != null) await openPart(shared, 'baseline');
  return shared;
}

/** What one run decodes with: its decoder, its verifier if it has one, and every cache it holds. */
export interface RunDecoders {
  decoders: DecoderSet;
  verifier: BaselineVerifier | null;
  caches: KvCache[];
}

/**
 * The parts one run needs, and only those: `decoder` baseline or HAMburger, and a verifier
 * for audit and verify. Every session call is timed on `clock`.
 */
export function createRunDecoders(shared: SharedDecoding, need: RunNeeds, clock: SessionClock): RunDecoders {
  const { pkg, context, initialRows, tables } = shared;
  const arch = pkg.manifest.architecture;
  const timed = (graph: LoadedGraph): TimedSession => new TimedSession(graph, clock);
  const hamburgerEmbedder = (): TokenEmbedder => createTokenEmbedder(tables.hamburger, timed(pkg.graphs.embed), arch.hidden_size);
  const usesBaseline = pkg.baseline !== null && partsFor(pkg, need).includes('baseline');
  const b = usesBaseline ? { architecture: pkg.baseline!.architecture, ...opened(pkg.baseline!.sessions, "the baseline's graphs") } : null;
  const baselineEmbedder = (): TokenEmbedder => createTokenEmbedder(tables.baseline ?? null, timed(b!.embed), b!.architecture.hidden_size);

  let decoders: DecoderSet;
  if (need.decoder === 'baseline' && b !== null) {
    const bArch = b.architecture;
    const base = baseFor(bArch, context, initialRows, timed(b.base), false);
    decoders = { kind: 'baseline-graphs', architecture: bArch, context, embedder: baselineEmbedder(), base, micro: null, maxTokensPerStep: 1 };
  } else {
    const base = baseFor(arch, context, initialRows, timed(pkg.graphs.base), true);
    decoders =
      need.decoder === 'baseline'
        ? { kind: 'hamburger-single-token', architecture: arch, context, embedder: hamburgerEmbedder(), base, micro: null, maxTokensPerStep: 1 }
        : { kind: 'hamburger', architecture: arch, context, embedder: hamburgerEmbedder(), base, micro: microFor(arch, timed(pkg.graphs.micro)), maxTokensPerStep: arch.max_steps };
  }
  const caches = [decoders.base.cache, ...(decoders.micro === null ? [] : [decoders.micro.cache])];
  if (!need.verifier) return { decoders, verifier: null, caches };

  const verifier =
    b === null
      ? new BaselineVerifier(
          {
            kind: 'hamburger-single-token',
            architecture: arch,
            embedder: hamburgerEmbedder(),
            base: timed(pkg.graphs.base),
            heads: timed(opened(pkg.graphs.heads, 'the heads graph')),
            composesGroup: true,
          },
          arch.max_steps,
          { context, initialRows },
        )
      : new BaselineVerifier(
          { kind: 'baseline-graphs', architecture: b.architecture, embedder: baselineEmbedder(), base: timed(b.base), heads: timed(b.heads), composesGroup: false },
          arch.max_steps,
          { context, initialRows },
        );
  return { decoders, verifier, caches: [...caches, verifier.cache] };
}

function baseFor(arch: Architecture, context: number, initialRows: number | undefined, session: TimedSession, hamburger: boolean): BaseForward {
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

function microFor(arch: Architecture, session: TimedSession): MicroStepDecoder {
  return new MicroStepDecoder(session, {
    layers: arch.micro_layers,
    kvHeads: arch.num_kv_heads,
    headDim: arch.head_dim,
    hiddenSize: arch.hidden_size,
    vocabSize: arch.vocab_size,
    featureCount: arch.feature_layers.length,
    context: arch.feature_layers.length + arch.max_steps,
  });
}
