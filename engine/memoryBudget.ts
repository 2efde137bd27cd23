// How much memory the engine may reserve for KV caches, and so how long a context a load
// gets: a package's max_position comes from a file (Llama 3.2 says 131,072: 8.6 GB of base
// cache for a 1B model), so the caches are bounded by the memory the machine has, and a
// context no cache could grow to is a named error before it is an allocation failure.
import { totalmem } from 'node:os';
import type { Architecture } from './manifest.js';
import { EngineError } from './errors.js';

/** Share of the machine's memory the KV caches of every engine in a process may take together. */
export const KV_MEMORY_SHARE = 0.5;

/** One engine's KV budget when `engines` engines share the process (the app's lanes). */
export function defaultKvBudgetBytes(engines = 1): number {
  return Math.floor((totalmem() * KV_MEMORY_SHARE) / engines);
}

/** Bytes of one float32 KV cache of `positions` rows for a stack shaped like `arch`. */
export function kvCacheBytes(arch: Pick<Architecture, 'num_layers' | 'num_kv_heads' | 'head_dim'>, positions: number): number {
  return arch.num_layers * positions * arch.num_kv_heads * arch.head_dim * 2 * Float32Array.BYTES_PER_ELEMENT;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * The context (positions: prompt plus generated tokens) a load gets. `caches` lists the
 * stacks that get a KV cache of that many rows at most (the HAMburger base, the baseline,
 * the verifier); each grows as a run needs it, so the budget bounds what they may grow to.
 * Unasked, the manifest's max_position, lowered to what the budget holds; asked, exactly
 * that, or a named error: above max_position, or above what the budget holds.
 */
export function resolveContext(caches: readonly Architecture[], maxPosition: number, requested: number | undefined, budgetBytes: number): number {
  const perPosition = caches.reduce((sum, arch) => sum + kvCacheBytes(arch, 1), 0);
  const fits = Math.floor(budgetBytes / perPosition);
  const memoryLimit = `<= ${Math.min(fits, maxPosition)} positions on this machine`;
  const memory = `${gib(perPosition)} per position (${caches.length} caches); this engine may take ${gib(budgetBytes)} (of ${KV_MEMORY_SHARE * 100}% of the machine's memory for all engines)`;
  if (requested === undefined) {
    if (fits >= 2) return Math.min(maxPosition, fits);
    throw new EngineError('context_too_large', `not even 2 positions of KV cache fit: ${memory}`, { field: 'architecture.max_position', limit: memoryLimit });
  }
  if (!Number.isInteger(requested) || requested < 2 || requested > maxPosition) {
    throw new EngineError('context_too_large', `context must be a whole number in [2, ${maxPosition}] (the package's max_position), got ${requested}`, {
      field: 'context',
      limit: `2..${maxPosition}`,
    });
  }
  if (requested > fits) {
    throw new EngineError('context_too_large', `a context of ${requested} positions needs ${gib(requested * perPosition)} of KV cache at most: ${memory}`, {
      field: 'context',
      limit: memoryLimit,
    });
  }
  return requested;
}
