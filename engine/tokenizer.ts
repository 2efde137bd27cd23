// The package's tokenizer.json through @huggingface/tokenizers (encoding), plus a byte
// table per token for exact, incremental decoding of generated text.
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { byteLevelBytes } from './byteLevel.js';
import { EngineError } from './errors.js';
import { MANIFEST_LIMITS } from './manifest.js';
import { PACKAGE_FILE_LIMITS, readPackageJson } from './packageFile.js';
import { StreamingTokenDecoder } from './textDecoder.js';

export const TOKENIZER_FILE = 'tokenizer.json';

const UTF8 = new TextEncoder();

/** The parts of tokenizer.json this class reads (the tokenizers library reads the rest). */
const tokenIdSchema = z
  .number()
  .int()
  .min(0)
  .max(MANIFEST_LIMITS.vocab_size - 1, { error: () => `token ids must be < ${MANIFEST_LIMITS.vocab_size}` });
const tokenizerJsonSchema = z.looseObject({
  model: z.looseObject({ vocab: z.record(z.string(), tokenIdSchema) }),
  added_tokens: z.array(z.looseObject({ id: tokenIdSchema, content: z.string(), special: z.boolean().optional() })).optional(),
});
type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;

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
    let largest = -1;
    for (const id of entries.keys()) largest = Math.max(largest, id);
    this.vocabSize = largest + 1;
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
    // Ids size the tables the constructor builds: one id of 2^31 would allocate billions of entries.
    const parsed = tokenizerJsonSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new EngineError('tokenizer_invalid', `${source} is not a tokenizers JSON file: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, {
        field: TOKENIZER_FILE,
        limit: `model.vocab and added_tokens with whole-number ids in [0, ${MANIFEST_LIMITS.vocab_size})`,
      });
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(parsed.data, {});
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new EngineError('tokenizer_invalid', `${source} could not be loaded: ${reason}`, { field: TOKENIZER_FILE, cause });
    }
    return new TextTokenizer(tokenizer, parsed.data);
  }

  static async load(dir: string): Promise<TextTokenizer> {
    const file = path.join(dir, TOKENIZER_FILE);
    const value = await readPackageJson(
      file,
      {
        field: TOKENIZER_FILE,
        maxBytes: PACKAGE_FILE_LIMITS.tokenizerBytes,
        missing: (_file, cause) => new EngineError('tokenizer_missing', `${file} not found`, { field: TOKENIZER_FILE, cause }),
      },
      'tokenizer_invalid',
    );
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
