// The package's tokenizer.json through @huggingface/tokenizers (encoding), plus a byte
// table per token for exact, incremental decoding of generated text.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { byteLevelBytes } from './byteLevel.js';
import { EngineError } from './errors.js';
import { StreamingTokenDecoder } from './textDecoder.js';

export const TOKENIZER_FILE = 'tokenizer.json';

const UTF8 = new TextEncoder();

interface TokenizerJson {
  model: { vocab: Record<string, number> };
  added_tokens?: { id: number; content: string; special?: boolean }[];
}

function isTokenizerJson(value: unknown): value is TokenizerJson {
  if (typeof value !== 'object' || value === null) return false;
  const model = (value as { model?: unknown }).model;
  if (typeof model !== 'object' || model === null) return false;
  const vocab = (model as { vocab?: unknown }).vocab;
  return typeof vocab === 'object' && vocab !== null;
}

export class TextTokenizer {
  /** Bytes each token id stands for (added tokens: their content in UTF-8). */
  readonly tokenBytes: readonly Uint8Array[];
  readonly vocabSize: number;
  private readonly special: ReadonlySet<number>;
  private readonly pieces: readonly string[];

  private constructor(private readonly tokenizer: Tokenizer, json: TokenizerJson) {
    const entries = new Map<number, Uint8Array>();
    const special = new Set<number>();
    for (const [symbol, id] of Object.entries(json.model.vocab)) {
      entries.set(id, byteLevelBytes(symbol) ?? UTF8.encode(symbol));
    }
    for (const added of json.added_tokens ?? []) {
      entries.set(added.id, UTF8.encode(added.content));
      if (added.special !== false) special.add(added.id);
    }
    this.vocabSize = entries.size === 0 ? 0 : Math.max(...entries.keys()) + 1;
    const bytes: Uint8Array[] = [];
    const decoder = new TextDecoder();
    const pieces: string[] = [];
    for (let id = 0; id < this.vocabSize; id++) {
      const b = entries.get(id) ?? new Uint8Array(0);
      bytes.push(b);
      pieces.push(decoder.decode(b));
    }
    this.tokenBytes = bytes;
    this.pieces = pieces;
    this.special = special;
  }

  static fromJson(value: unknown, source: string): TextTokenizer {
    if (!isTokenizerJson(value)) {
      throw new EngineError('tokenizer_invalid', `${source} is not a tokenizers JSON file (no model.vocab)`, { field: TOKENIZER_FILE });
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(value, {});
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('tokenizer_invalid', `${source} could not be loaded: ${reason}`, { field: TOKENIZER_FILE, cause });
    }
    return new TextTokenizer(tokenizer, value);
  }

  static async load(dir: string): Promise<TextTokenizer> {
    const file = path.join(dir, TOKENIZER_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new EngineError('tokenizer_missing', `${file} not found`, { field: TOKENIZER_FILE, cause });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('tokenizer_invalid', `${file} is not valid JSON (${reason})`, { field: TOKENIZER_FILE, cause });
    }
    return TextTokenizer.fromJson(value, file);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of a whole id sequence, special tokens left out. */
  decode(ids: readonly number[]): string {
    const decoder = this.streamingDecoder();
    return decoder.push(ids) + decoder.flush();
  }

  /** Text of one token on its own (a split UTF-8 character shows as U+FFFD). */
  tokenText(id: number): string {
    return this.pieces[id] ?? '';
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }

  streamingDecoder(): StreamingTokenDecoder {
    return new StreamingTokenDecoder(this.tokenBytes, (id) => this.special.has(id));
  }
}
