import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../engine/errors.js';
import { parseManifest } from '../../engine/manifest.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const shipped = JSON.parse(readFileSync(path.join(MODEL_DIR, 'hamburger.json'), 'utf8')) as Record<string, unknown>;

function problem(edit: (m: Record<string, any>) => void): EngineError {
  const copy = structuredClone(shipped) as Record<string, any>;
  edit(copy);
  try {
    parseManifest(copy, 'test.json');
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('manifest accepted');
}

describe('parseManifest', () => {
  it('accepts the shipped manifest', () => {
    const m = parseManifest(shipped, 'hamburger.json');
    expect(m.architecture.feature_layers.at(-1)).toBe(m.architecture.num_layers);
    expect(m.graphs.base).toMatch(/\.onnx$/);
    expect(m.weights).toBe('fp16'); // packages from before the field store float16
    expect(parseManifest({ ...shipped, weights: 'int8' }, 'hamburger.json').weights).toBe('int8');
  });

  it.each([
    ['architecture.num_kv_heads', (m: Record<string, any>) => (m['architecture']['num_kv_heads'] = 3)],
    ['architecture.micro_layers', (m: Record<string, any>) => (m['architecture']['micro_layers'] = 0)],
    ['architecture.max_position', (m: Record<string, any>) => (m['architecture']['max_position'] = 1)],
    ['defaults.max_new_tokens', (m: Record<string, any>) => (m['defaults']['max_new_tokens'] = 5000)],
    ['tokens.chat_template', (m: Record<string, any>) => (m['tokens']['chat_template'] = '')],
    ['description', (m: Record<string, any>) => delete m['description']],
    ['weights', (m: Record<string, any>) => (m['weights'] = 'int4')],
  ])('names %s when it is wrong', (field, edit) => {
    const error = problem(edit);
    expect(error.code).toBe('manifest_invalid');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('checks the baseline set against the main architecture', () => {
    const copy = structuredClone(shipped) as Record<string, any>;
    if (!copy['baseline']) return;
    copy['baseline']['architecture']['hidden_size'] = 128;
    expect(() => parseManifest(copy, 'x')).toThrow(/baseline\.architecture\.hidden_size/);
  });
});
