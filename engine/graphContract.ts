// Input and output names (and element types) each graph of a package must have
// (docs/model-package.md, "Graphs"). Checked against the loaded sessions at load time.
import type { Architecture } from './manifest.js';

export type GraphKey = 'embed' | 'base' | 'micro' | 'heads';
export type ElementType = 'float32' | 'int64';

/** A dimension the contract fixes (a number) or leaves to the graph (null: dynamic or not checked). */
export type Dim = number | null;

export interface GraphInterface {
  inputs: Record<string, ElementType>;
  outputs: Record<string, ElementType>;
  /** Shapes of some inputs and outputs, checked where the graph declares a fixed size. */
  shapes: Record<string, Dim[]>;
}

/** `past_key_0, past_value_0, past_key_1, ...` for `layers` layers. */
export function kvNames(prefix: 'past' | 'new', layers: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < layers; i++) names.push(`${prefix}_key_${i}`, `${prefix}_value_${i}`);
  return names;
}

function floats(names: readonly string[]): Record<string, ElementType> {
  return Object.fromEntries(names.map((n) => [n, 'float32' as const]));
}

/**
 * The interface of one graph; `hamburger` is false for the baseline set, whose base has no
 * stop head and no `group` input (HAMburger's base composes its last element from it).
 */
export function expectedInterface(key: GraphKey, arch: Architecture, hamburger: boolean): GraphInterface {
  const stop: string[] = hamburger ? ['stop_logit'] : [];
  const group: Record<string, ElementType> = hamburger ? { group: 'float32' } : {};
  const d = arch.hidden_size;
  const v = arch.vocab_size;
  const pastShapes = (layers: number): Record<string, Dim[]> =>
    Object.fromEntries(kvNames('past', layers).map((n) => [n, [1, null, arch.num_kv_heads, arch.head_dim]]));
  switch (key) {
    case 'embed':
      return { inputs: { input_ids: 'int64' }, outputs: { embeddings: 'float32' }, shapes: { embeddings: [null, d] } };
    case 'base':
      return {
        inputs: { inputs_embeds: 'float32', ...group, position_ids: 'int64', ...floats(kvNames('past', arch.num_layers)) },
        outputs: floats(['features', 'logits', ...stop, ...kvNames('new', arch.num_layers)]),
        shapes: { inputs_embeds: [1, null, d], ...(hamburger ? { group: [null, d] } : {}), features: [1, null, arch.feature_layers.length, d], logits: [1, v], ...pastShapes(arch.num_layers) },
      };
    case 'micro':
      return {
        inputs: { hiddens: 'float32', position_ids: 'int64', ...floats(kvNames('past', arch.micro_layers)) },
        outputs: floats(['logits', 'stop_logit', ...kvNames('new', arch.micro_layers)]),
        shapes: { hiddens: [1, null, d], logits: [1, v], ...pastShapes(arch.micro_layers) },
      };
    case 'heads':
      return { inputs: { hidden: 'float32' }, outputs: floats(['logits', ...stop]), shapes: { hidden: [null, d], logits: [null, v] } };
  }
}

export interface ValueDescription {
  name: string;
  type: string | null;
  /** Declared shape: numbers are fixed sizes, strings symbolic (dynamic) ones. */
  shape: readonly (number | string)[];
}

/** Differences between what a graph has and what the contract wants, in words; empty when they match. */
export function interfaceMismatches(
  expected: GraphInterface,
  inputs: readonly ValueDescription[],
  outputs: readonly ValueDescription[],
): string[] {
  const problems: string[] = [];
  const compare = (side: 'input' | 'output', want: Record<string, ElementType>, have: readonly ValueDescription[]): void => {
    const haveByName = new Map(have.map((v) => [v.name, v.type]));
    const missing = Object.keys(want).filter((n) => !haveByName.has(n));
    const extra = have.map((v) => v.name).filter((n) => !(n in want));
    if (missing.length > 0) problems.push(`missing ${side}s: ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`unexpected ${side}s: ${extra.join(', ')}`);
    for (const [name, type] of Object.entries(want)) {
      const actual = haveByName.get(name);
      if (actual !== undefined && actual !== null && actual !== type) problems.push(`${side} ${name} is ${actual}, expected ${type}`);
    }
  };
  compare('input', expected.inputs, inputs);
  compare('output', expected.outputs, outputs);
  for (const value of [...inputs, ...outputs]) {
    const want = expected.shapes[value.name];
    if (want === undefined) continue;
    const fixedMismatch = value.shape.some((dim, i) => typeof dim === 'number' && typeof want[i] === 'number' && dim !== want[i]);
    if (value.shape.length !== want.length || fixedMismatch) {
      const show = (dims: readonly unknown[]): string => `[${dims.map((x) => x ?? '?').join(', ')}]`;
      problems.push(`${value.name} has shape ${show(value.shape)}, expected ${show(want)}`);
    }
  }
  return problems;
}
