// Loads a model package folder: manifest, tokenizer, chat template and every ONNX graph,
// each checked against the contract, with one specific error per kind of defect. Every file
// is checked at load; with `openOnDemand` only the graphs HAMburger mode runs on are opened
// then, and the others (the baseline's, the heads a verifier without baseline uses) when a
// run first needs them: a 1B package then holds one model's weights until a baseline is asked for.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { LoadProgress } from './api.js';
import { ChatTemplate } from './chatTemplate.js';
import { EngineError } from './errors.js';
import { expectedInterface, interfaceMismatches, type GraphKey, type ValueDescription } from './graphContract.js';
import { readManifest, type Architecture, type Manifest } from './manifest.js';
import { checkPackageFile, PACKAGE_FILE_LIMITS } from './packageFile.js';
import { OnDemand } from './onDemand.js';
import type { LoadedGraph } from './timedSession.js';
import { TextTokenizer } from './tokenizer.js';

export interface LoadOptions {
  /** Threads for one graph's operators (intra-op). */
  threads?: number;
  /** Most bytes this engine's KV caches may grow to together (default: engine/memoryBudget.ts). */
  kvBudgetBytes?: number;
  /** Positions (prompt + generated) runs may use; default the manifest's max_position as far as memory allows. */
  context?: number;
  /** Rows each KV cache starts with before it grows (default INITIAL_KV_ROWS). */
  kvInitialRows?: number;
  /** Generations that may run at once (default 1): they share the sessions, each has its own KV caches. */
  runs?: number;
  /** Open the baseline's graphs and the heads when a run first needs them (the engine's `prepare`), not at load. */
  openOnDemand?: boolean;
  /** Told before each graph opens, and once when all are open. */
  onProgress?: (progress: LoadProgress) => void;
  /** Aborting it stops the load between graphs (`load_cancelled`); what was opened is released. */
  signal?: AbortSignal;
}

/** Stops a load whose signal was aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, directory: string): void {
  if (signal?.aborted === true) throw new EngineError('load_cancelled', `the load of ${directory} was cancelled`);
}

export interface HamburgerGraphs {
  embed: LoadedGraph;
  base: LoadedGraph;
  micro: LoadedGraph;
  /** Only a verifier without baseline graphs runs it. */
  heads: OnDemand<LoadedGraph>;
}

export interface BaselineSessions {
  embed: LoadedGraph;
  base: LoadedGraph;
  heads: LoadedGraph;
}

export interface BaselineGraphs {
  architecture: Architecture;
  sessions: OnDemand<BaselineSessions>;
}

export interface ModelPackage {
  directory: string;
  manifest: Manifest;
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate;
  graphs: HamburgerGraphs;
  baseline: BaselineGraphs | null;
  threads: number;
  loadMs: number;
  /** Bytes of the graph files as stored (float16 weights are held as float32 once loaded). */
  weightsBytes: number;
  /** The files behind each part that may open on demand, and their bytes (for progress). */
  partFiles: { heads: PartFiles; baseline: PartFiles | null };
}

export interface PartFiles {
  files: string[];
  bytes: number;
}

async function releaseGraphs(graphs: readonly LoadedGraph[]): Promise<void> {
  await Promise.all(graphs.map((g) => g.session.release()));
}

// One thread: on graphs this small, splitting each operator over two threads costs more in
// synchronisation than it gains (measured: 2.4x slower with 2 threads, see docs/engine.md).
export const DEFAULT_THREADS = 1;

function describeValues(metadata: readonly ort.InferenceSession.ValueMetadata[]): ValueDescription[] {
  return metadata.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: null, shape: [] }));
}

async function openGraph(
  directory: string,
  file: string,
  field: string,
  key: GraphKey,
  arch: Architecture,
  hamburger: boolean,
  threads: number,
): Promise<LoadedGraph> {
  const fullPath = path.join(directory, file);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(fullPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Subnormal floats (tiny attention weights, SiLU tails) are slow on x86; flushing them
      // to zero made the HAMburger base forward ~15% faster here with no change to the
      // golden-trace probabilities beyond 1e-7.
      // Each graph has its own intra-op pool; with threads > 1 a pool that spins after its
      // run takes the cores from the next graph's (1B, 2 threads: the HAMburger base step
      // 63 ms spinning, 43 ms not; docs/real-models.md).
      extra: { session: { set_denormal_as_zero: '1', 'intra_op.allow_spinning': '0' } },
    });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new EngineError('graph_unreadable', `${file} (${field}) is not a loadable ONNX graph: ${reason}`, { field, cause });
  }
  const problems = interfaceMismatches(
    expectedInterface(key, arch, hamburger),
    describeValues(session.inputMetadata),
    describeValues(session.outputMetadata),
  );
  if (problems.length > 0) {
    await session.release();
    throw new EngineError('graph_interface_mismatch', `${file} (${field}) does not match the ${key} graph contract: ${problems.join('; ')}`, { field });
  }
  return { name: key, session };
}

interface GraphToOpen {
  file: string;
  field: string;
  key: GraphKey;
  arch: Architecture;
  hamburger: boolean;
}

/**
 * The model may have more rows than the tokenizer has ids (embeddings padded to a round
 * number, as many releases do; ids past the tokenizer decode to nothing), never fewer.
 */
function checkTokenizer(tokenizer: TextTokenizer, manifest: Manifest): void {
  const want = manifest.architecture.vocab_size;
  if (tokenizer.vocabSize > want) {
    throw new EngineError(
      'tokenizer_vocab_mismatch',
      `tokenizer.json has ${tokenizer.vocabSize} tokens but architecture.vocab_size is ${want}`,
      { field: 'architecture.vocab_size', limit: `at most ${want} tokens` },
    );
  }
}

export async function loadModelPackage(directory: string, options: LoadOptions = {}): Promise<ModelPackage> {
  const start = performance.now();
  const dir = path.resolve(directory);
  const threads = options.threads ?? DEFAULT_THREADS;
  const manifest = await readManifest(dir);
  const tokenizer = await TextTokenizer.load(dir);
  checkTokenizer(tokenizer, manifest);
  const { tokens } = manifest;
  const chatTemplate = ChatTemplate.create(tokens.chat_template, tokenizer.tokenText(tokens.bos_id), tokenizer.tokenText(tokens.eos_id));

  const arch = manifest.architecture;
  const g = manifest.graphs;
  const b = manifest.baseline;
  const plan: GraphToOpen[] = [
    { file: g.embed, field: 'graphs.embed', key: 'embed', arch, hamburger: true },
    { file: g.base, field: 'graphs.base', key: 'base', arch, hamburger: true },
    { file: g.micro, field: 'graphs.micro', key: 'micro', arch, hamburger: true },
    { file: g.heads, field: 'graphs.heads', key: 'heads', arch, hamburger: true },
    ...(b === undefined
      ? []
      : ([
          { file: b.graphs.embed, field: 'baseline.graphs.embed', key: 'embed', arch: b.architecture, hamburger: false },
          { file: b.graphs.base, field: 'baseline.graphs.base', key: 'base', arch: b.architecture, hamburger: false },
          { file: b.graphs.heads, field: 'baseline.graphs.heads', key: 'heads', arch: b.architecture, hamburger: false },
        ] as const)),
  ];
  // Every file checked (and sized) before the first opens: a missing one fails at once, and progress knows the whole.
  const sizes: number[] = [];
  for (const graph of plan) {
    sizes.push(
      await checkPackageFile(path.join(dir, graph.file), {
        field: graph.field,
        maxBytes: PACKAGE_FILE_LIMITS.graphBytes,
        missing: (_file, cause) => new EngineError('graph_missing', `${graph.field} names ${graph.file}, which is not in ${dir}`, { field: graph.field, cause }),
      }),
    );
  }
  // External weights: each listed file must be there at the size the exporter wrote (a copy
  // cut short would otherwise surface as a runtime error about some tensor).
  const dataBytes = new Map<string, number>();
  for (const [file, bytes] of Object.entries(manifest.external_data ?? {})) {
    const field = `external_data.${file}`;
    const size = await checkPackageFile(path.join(dir, file), {
      field,
      maxBytes: PACKAGE_FILE_LIMITS.externalDataBytes,
      missing: (full, cause) => new EngineError('external_data_invalid', `${full} is missing (the manifest lists it with ${bytes} bytes of weights)`, { field, cause }),
    });
    if (size !== bytes) {
      throw new EngineError('external_data_invalid', `${file} is ${size} bytes, the manifest says ${bytes}: the file is truncated or not the one exported`, {
        field,
        limit: `${bytes} bytes`,
      });
    }
    dataBytes.set(file, size);
  }
  // A graph's weights count with it: its own file and its `<graph>.data`.
  plan.forEach((graph, i) => (sizes[i]! += dataBytes.get(`${graph.file}.data`) ?? 0));
  const weightsBytes = sizes.reduce((sum, size) => sum + size, 0);
  const open = (i: number): Promise<LoadedGraph> => openGraph(dir, plan[i]!.file, plan[i]!.field, plan[i]!.key, plan[i]!.arch, plan[i]!.hamburger, threads);
  // The plan's order: embed, base, micro, heads, then the baseline's embed, base, heads.
  const atLoad = options.openOnDemand === true ? [0, 1, 2] : plan.map((_, i) => i);
  const bytesTotal = atLoad.reduce((sum, i) => sum + sizes[i]!, 0);
  const opened = new Map<number, LoadedGraph>();
  try {
    let bytesDone = 0;
    for (const [done, i] of atLoad.entries()) {
      throwIfCancelled(options.signal, dir);
      options.onProgress?.({ directory: dir, file: plan[i]!.file, graphsDone: done, graphsTotal: atLoad.length, bytesDone, bytesTotal });
      opened.set(i, await open(i));
      bytesDone += sizes[i]!;
    }
    options.onProgress?.({ directory: dir, file: null, graphsDone: atLoad.length, graphsTotal: atLoad.length, bytesDone, bytesTotal });
  } catch (error) {
    await releaseGraphs([...opened.values()]);
    throw error;
  }
  const heads = opened.get(3);
  const graphs: HamburgerGraphs = {
    embed: opened.get(0)!,
    base: opened.get(1)!,
    micro: opened.get(2)!,
    heads: heads === undefined ? OnDemand.later(() => open(3), (g) => releaseGraphs([g])) : OnDemand.now(heads, (g) => releaseGraphs([g])),
  };
  const closeBaseline = (s: BaselineSessions): Promise<void> => releaseGraphs([s.embed, s.base, s.heads]);
  const openBaseline = async (): Promise<BaselineSessions> => {
    const sessions: LoadedGraph[] = [];
    try {
      for (const i of [4, 5, 6]) sessions.push(await open(i));
    } catch (error) {
      await releaseGraphs(sessions);
      throw error;
    }
    return { embed: sessions[0]!, base: sessions[1]!, heads: sessions[2]! };
  };
  const bOpened = opened.get(4);
  const baseline: BaselineGraphs | null =
    b === undefined
      ? null
      : {
          architecture: b.architecture,
          sessions:
            bOpened === undefined
              ? OnDemand.later(openBaseline, closeBaseline)
              : OnDemand.now({ embed: bOpened, base: opened.get(5)!, heads: opened.get(6)! }, closeBaseline),
        };
  const partOf = (indexes: number[]): PartFiles => ({ files: indexes.map((i) => plan[i]!.file), bytes: indexes.reduce((sum, i) => sum + sizes[i]!, 0) });
  const partFiles = { heads: partOf([3]), baseline: b === undefined ? null : partOf([4, 5, 6]) };
  return { directory: dir, manifest, tokenizer, chatTemplate, graphs, baseline, threads, loadMs: performance.now() - start, weightsBytes, partFiles };
}

/** Frees every ONNX session of a package. */
export async function releaseModelPackage(pkg: ModelPackage): Promise<void> {
  const { embed, base, micro, heads } = pkg.graphs;
  await Promise.all([releaseGraphs([embed, base, micro]), heads.release(), pkg.baseline?.sessions.release()]);
}
