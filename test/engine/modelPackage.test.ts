// Loading a model folder: the shipped package loads; each kind of broken copy gives its
// own error code naming the field or file at fault; files that are pipes, devices or huge
// are refused before anything reads them; sizes beyond any model are named.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineErrorCode, EngineEvent } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { loadModelPackage, releaseModelPackage } from '../../engine/modelPackage.js';
import { editManifest, packageCopy, removeCopies } from '../support/packageCopy.js';
import { MODEL_DIR } from '../support/shippedModel.js';

afterEach(removeCopies);

/** Replaces a file of the package with a named pipe (open() on it would wait for a writer forever). */
async function makeFifo(file: string): Promise<void> {
  await unlink(file);
  execFileSync('mkfifo', [file]);
}

async function loadError(dir: string): Promise<EngineError> {
  try {
    const pkg = await loadModelPackage(dir, { threads: 1 });
    await releaseModelPackage(pkg);
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error(`${dir} loaded without error`);
}

describe('loadModelPackage', () => {
  it('loads the shipped package with every graph and reports the load time', async () => {
    const pkg = await loadModelPackage(MODEL_DIR, { threads: 1 });
    try {
      expect(pkg.manifest.format).toBe('hamburger-onnx');
      expect(pkg.loadMs).toBeGreaterThan(0);
      expect(pkg.graphs.base.session.inputNames).toContain('past_key_0');
      expect(pkg.tokenizer.vocabSize).toBe(pkg.manifest.architecture.vocab_size);
    } finally {
      await releaseModelPackage(pkg);
    }
  });

  const broken: [string, (dir: string) => Promise<void>, EngineErrorCode, string | undefined][] = [
    ['no manifest', (dir) => unlink(path.join(dir, 'hamburger.json')), 'manifest_missing', 'hamburger.json'],
    ['manifest not JSON', (dir) => writeFile(path.join(dir, 'hamburger.json'), '{"format": "hamburger-onnx",'), 'manifest_not_json', 'hamburger.json'],
    ['wrong format', (dir) => editManifest(dir, (m) => (m['format'] = 'gguf')), 'manifest_invalid', 'format'],
    ['wrong format version', (dir) => editManifest(dir, (m) => (m['format_version'] = 2)), 'manifest_invalid', 'format_version'],
    ['missing architecture field', (dir) => editManifest(dir, (m) => delete m['architecture']['hidden_size']), 'manifest_invalid', 'architecture.hidden_size'],
    ['wrong type of field', (dir) => editManifest(dir, (m) => (m['architecture']['num_layers'] = 'six')), 'manifest_invalid', 'architecture.num_layers'],
    ['feature layers not ending at num_layers', (dir) => editManifest(dir, (m) => (m['architecture']['feature_layers'] = [2, 4])), 'manifest_invalid', 'architecture.feature_layers'],
    ['token id outside the vocabulary', (dir) => editManifest(dir, (m) => (m['tokens']['eos_id'] = 99999)), 'manifest_invalid', 'tokens.eos_id'],
    ['default confidence outside [0, 1]', (dir) => editManifest(dir, (m) => (m['defaults']['confidence'] = 2)), 'manifest_invalid', 'defaults.confidence'],
    ['missing graphs section', (dir) => editManifest(dir, (m) => delete m['graphs']), 'manifest_invalid', 'graphs'],
    ['graph path escaping the folder', (dir) => editManifest(dir, (m) => (m['graphs']['base'] = '../base.onnx')), 'manifest_invalid', 'graphs.base'],
    ['missing graph file', (dir) => unlink(path.join(dir, 'micro.onnx')), 'graph_missing', 'graphs.micro'],
    ['missing baseline graph file', (dir) => unlink(path.join(dir, 'baseline_base.onnx')), 'graph_missing', 'baseline.graphs.base'],
    [
      'graph file that is not ONNX',
      async (dir) => {
        await unlink(path.join(dir, 'heads.onnx'));
        await writeFile(path.join(dir, 'heads.onnx'), 'not a protobuf at all');
      },
      'graph_unreadable',
      'graphs.heads',
    ],
    ['graph with the wrong interface', (dir) => editManifest(dir, (m) => (m['graphs']['base'] = 'micro.onnx')), 'graph_interface_mismatch', 'graphs.base'],
    ['base graph for another layer count', (dir) => editManifest(dir, (m) => {
      m['architecture']['num_layers'] = 5;
      m['architecture']['feature_layers'] = [2, 4, 5];
    }), 'graph_interface_mismatch', 'graphs.base'],
    ['graphs for another head layout', (dir) => editManifest(dir, (m) => {
      m['architecture']['num_kv_heads'] = 4;
      m['architecture']['head_dim'] = 16;
    }), 'graph_interface_mismatch', 'graphs.base'],
    ['no tokenizer', (dir) => unlink(path.join(dir, 'tokenizer.json')), 'tokenizer_missing', 'tokenizer.json'],
    ['tokenizer not JSON', (dir) => writeFile(path.join(dir, 'tokenizer.json'), '{{'), 'tokenizer_invalid', 'tokenizer.json'],
    ['tokenizer without a vocabulary', (dir) => writeFile(path.join(dir, 'tokenizer.json'), '{"model": {}}'), 'tokenizer_invalid', 'tokenizer.json'],
    ['tokenizer larger than the vocabulary', (dir) => editManifest(dir, (m) => {
      m['architecture']['vocab_size'] = 1024;
      if (m['baseline']) m['baseline']['architecture']['vocab_size'] = 1024;
    }), 'tokenizer_vocab_mismatch', 'architecture.vocab_size'],
    ['chat template that does not parse', (dir) => editManifest(dir, (m) => (m['tokens']['chat_template'] = '{% for m in messages %}{{ m.content }')), 'chat_template_invalid', 'tokens.chat_template'],
    ['manifest that is a named pipe', (dir) => makeFifo(path.join(dir, 'hamburger.json')), 'not_a_file', 'hamburger.json'],
    ['manifest that is a folder', async (dir) => {
      await unlink(path.join(dir, 'hamburger.json'));
      await mkdir(path.join(dir, 'hamburger.json'));
    }, 'not_a_file', 'hamburger.json'],
    ['manifest over its size limit', (dir) => editManifest(dir, (m) => (m['description'] = 'x'.repeat(1024 * 1024))), 'file_too_large', 'hamburger.json'],
    ['tokenizer that is a device without end', async (dir) => {
      await unlink(path.join(dir, 'tokenizer.json'));
      await symlink('/dev/zero', path.join(dir, 'tokenizer.json'));
    }, 'not_a_file', 'tokenizer.json'],
    ['tokenizer with a token id no vocabulary has', async (dir) => {
      const file = path.join(dir, 'tokenizer.json');
      const tokenizer = JSON.parse(await readFile(file, 'utf8'));
      tokenizer.model.vocab['<huge>'] = 2 ** 31;
      await writeFile(file, JSON.stringify(tokenizer));
    }, 'tokenizer_invalid', 'tokenizer.json'],
    ['graph that is a named pipe', async (dir) => makeFifo(path.join(dir, 'micro.onnx')), 'not_a_file', 'graphs.micro'],
    ['max_position beyond any model', (dir) => editManifest(dir, (m) => (m['architecture']['max_position'] = 2 ** 31 - 1)), 'manifest_invalid', 'architecture.max_position'],
    ['vocabulary beyond any model', (dir) => editManifest(dir, (m) => (m['architecture']['vocab_size'] = 2 ** 31 - 1)), 'manifest_invalid', 'architecture.vocab_size'],
  ];

  it.each(broken)('%s', async (_, breakIt, code, field) => {
    const dir = await packageCopy();
    await breakIt(dir);
    const error = await loadError(dir);
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('names what is missing when a graph does not match its contract', async () => {
    const dir = await packageCopy();
    await editManifest(dir, (m) => (m['graphs']['heads'] = 'embed.onnx'));
    const error = await loadError(dir);
    expect(error.message).toContain('missing inputs: hidden');
    expect(error.message).toContain('unexpected inputs: input_ids');
  });

  it('names the shape that does not fit the architecture', async () => {
    const dir = await packageCopy();
    await editManifest(dir, (m) => {
      m['architecture']['num_kv_heads'] = 4;
      m['architecture']['head_dim'] = 16;
    });
    const error = await loadError(dir);
    expect(error.message).toContain('past_key_0 has shape [1, P, 2, 32], expected [1, ?, 4, 16]');
  });

  it('lists every manifest problem in one message', async () => {
    const dir = await packageCopy();
    await editManifest(dir, (m) => {
      delete m['name'];
      m['architecture']['max_steps'] = 0;
    });
    const error = await loadError(dir);
    expect(error.message).toContain('name:');
    expect(error.message).toContain('architecture.max_steps:');
  });

  it('without a baseline set, baseline mode runs the HAMburger graphs one token per step, labelled so', async () => {
    const dir = await packageCopy();
    await editManifest(dir, (m) => delete m['baseline']);
    const engine = await HamburgerEngine.load(dir, { threads: 1 });
    try {
      expect(engine.info.baseline).toBe('hamburger-single-token');
      const events: EngineEvent[] = [];
      const result = await engine.generate({ prompt: 'Count from 1 to 9.', mode: 'baseline', confidence: 0, maxNewTokens: 6 }, (e) => events.push(e)).done;
      const started = events.find((e) => e.type === 'started');
      expect(started?.type === 'started' ? started.settings.decoder : null).toBe('hamburger-single-token');
      expect(started?.type === 'started' ? started.settings.label : '').toContain('forced to one token per step');
      expect(result.macroSteps).toBe(6);
      const zero = await engine.generate({ prompt: 'Count from 1 to 9.', confidence: 1, maxNewTokens: 1 }, () => undefined).done;
      expect(result.tokenIds[0]).toBe(zero.tokenIds[0]);
    } finally {
      await engine.dispose();
    }
  });
});
