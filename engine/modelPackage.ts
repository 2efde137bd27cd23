// Loads a model package folder: manifest, tokenizer, chat template and every ONNX graph,
// each checked against the contract, with one specific error per kind of defect.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ChatTemplate } from './chatTemplate.js';
import { EngineError } from './errors.js';
import { expectedInterface, interfaceMismatches, type GraphKey, type ValueDescription } from './graphContract.js';
import { readManifest, type Architecture, type Manifest } from './manifest.js';
import { checkPackageFile, PACKAGE_FILE_LIMITS } from './packageFile.js';
import { SessionClock, TimedSession } from './timedSession.js';
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
}

export interface HamburgerGraphs {
  embed: TimedSession;
  base: TimedSession;
  micro: TimedSession;
  heads: TimedSession;
}

export interface BaselineGraphs {
  architecture: Architecture;
  embed: TimedSession;
  base: TimedSession;
  heads: TimedSession;
}

export interface ModelPackage {
  directory: string;
  manifest: Manifest;
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate;
  graphs: HamburgerGraphs;
  baseline: BaselineGraphs | null;
  /** Time inside session.run, all graphs of this package. */
  clock: SessionClock;
  threads: number;
  loadMs: number;
  /** Bytes of the graph files as stored (float16 weights are held as float32 once loaded). */
  weightsBytes: number;
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
  clock: SessionClock,
  sizes: number[],
): Promise<TimedSession> {
  const fullPath = path.join(directory, file);
  const size = await checkPackageFile(fullPath, {
    field,
    maxBytes: PACKAGE_FILE_LIMITS.graphBytes,
    missing: (_file, cause) => new EngineError('graph_missing', `${field} names ${file}, which is not in ${directory}`, { field, cause }),
  });
  sizes.push(size);
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
      extra: { session: { set_denormal_as_zero: '1' } },
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
  return new TimedSession(key, session, clock);
}

function checkTokenizer(tokenizer: TextTokenizer, manifest: Manifest): void {
  const want = manifest.architecture.vocab_size;
  if (tokenizer.vocabSize !== want) {
    throw new EngineError(
      'tokenizer_vocab_mismatch',
      `tokenizer.json has ${tokenizer.vocabSize} tokens but architecture.vocab_size is ${want}`,
      { field: 'architecture.vocab_size', limit: `${want} tokens` },
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

  const clock = new SessionClock();
  const arch = manifest.architecture;
  const opened: TimedSession[] = [];
  const sizes: number[] = [];
  const open = async (file: string, field: string, key: GraphKey, a: Architecture, hamburger: boolean): Promise<TimedSession> => {
    const session = await openGraph(dir, file, field, key, a, hamburger, threads, clock, sizes);
    opened.push(session);
    return session;
  };
  try {
    const g = manifest.graphs;
    const graphs: HamburgerGraphs = {
      embed: await open(g.embed, 'graphs.embed', 'embed', arch, true),
      base: await open(g.base, 'graphs.base', 'base', arch, true),
      micro: await open(g.micro, 'graphs.micro', 'micro', arch, true),
      heads: await open(g.heads, 'graphs.heads', 'heads', arch, true),
    };
    let baseline: BaselineGraphs | null = null;
    if (manifest.baseline) {
      const b = manifest.baseline;
      baseline = {
        architecture: b.architecture,
        embed: await open(b.graphs.embed, 'baseline.graphs.embed', 'embed', b.architecture, false),
        base: await open(b.graphs.base, 'baseline.graphs.base', 'base', b.architecture, false),
        heads: await open(b.graphs.heads, 'baseline.graphs.heads', 'heads', b.architecture, false),
      };
    }
    const weightsBytes = sizes.reduce((sum, size) => sum + size, 0);
    return { directory: dir, manifest, tokenizer, chatTemplate, graphs, baseline, clock, threads, loadMs: performance.now() - start, weightsBytes };
  } catch (error) {
    await Promise.all(opened.map((s) => s.session.release()));
    throw error;
  }
}

/** Frees every ONNX session of a package. */
export async function releaseModelPackage(pkg: ModelPackage): Promise<void> {
  const sessions = [...Object.values(pkg.graphs)];
  if (pkg.baseline) sessions.push(pkg.baseline.embed, pkg.baseline.base, pkg.baseline.heads);
  await Promise.all(sessions.map((s) => s.session.release()));
}
