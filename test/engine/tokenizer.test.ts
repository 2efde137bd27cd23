import { describe, expect, it } from 'vitest';
import { readManifest } from '../../engine/manifest.js';
import { TextTokenizer } from '../../engine/tokenizer.js';
import { MODEL_DIR, readTokenizerFixture } from '../support/shippedModel.js';

const tokenizer = await TextTokenizer.load(MODEL_DIR);
const fixture = readTokenizerFixture();

describe('TextTokenizer', () => {
  it('has a fixture to check against', () => {
    expect(fixture.length).toBeGreaterThan(0);
  });

  it.each(fixture.map((f, i) => [i, f] as const))('encodes fixture %i exactly as the Python tokenizer', (_, entry) => {
    expect(tokenizer.encode(entry.text)).toEqual(entry.ids);
  });

  it.each(fixture.map((f, i) => [i, f] as const))('decodes fixture %i back to its text (specials left out)', (_, entry) => {
    const withoutSpecials = entry.text.replace(/<\|(pad|bos|eos|user|assistant)\|>/g, '');
    expect(tokenizer.decode(entry.ids)).toBe(withoutSpecials);
  });

  it('splits digits into single tokens', () => {
    const ids = tokenizer.encode('12345');
    expect(ids).toHaveLength(5);
    expect(ids.map((id) => tokenizer.tokenText(id))).toEqual(['1', '2', '3', '4', '5']);
  });

  it('encodes the special tokens by their ids', () => {
    expect(tokenizer.encode('<|bos|><|user|>')).toEqual([1, 3]);
    expect(tokenizer.isSpecial(2)).toBe(true);
    expect(tokenizer.isSpecial(tokenizer.encode('a')[0]!)).toBe(false);
  });

  it('keeps a UTF-8 character split across groups whole in streamed text', () => {
    const ids = tokenizer.encode('é€😀');
    const decoder = tokenizer.streamingDecoder();
    const pieces = ids.map((id) => decoder.push([id]));
    expect(pieces.join('') + decoder.flush()).toBe('é€😀');
    expect(pieces.some((p) => p === '')).toBe(true);
  });

  it('marks an unfinished character at the end with U+FFFD', () => {
    const ids = tokenizer.encode('😀');
    expect(tokenizer.decode(ids.slice(0, -1))).toBe('\uFFFD');
  });

  it('has the vocabulary size of the manifest', async () => {
    const manifest = await readManifest(MODEL_DIR);
    expect(tokenizer.vocabSize).toBe(manifest.architecture.vocab_size);
  });
});
