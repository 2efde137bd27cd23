import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { answerBudget, EVAL_MAX_NEW_TOKENS, firstPerFamily, isExactMatch, readHeldout, type HeldoutExample } from '../../../engine/cli/heldoutSet.js';
import { HamburgerEngine } from '../../../engine/engine.js';
import { MODEL_DIR } from '../../support/shippedModel.js';

const engine = await HamburgerEngine.load(MODEL_DIR, { threads: 1 });
afterAll(() => engine.dispose());

describe('held-out set', () => {
  it('gives every answer the default budget, or its own length and end of sequence when longer', () => {
    expect(EVAL_MAX_NEW_TOKENS).toBe(192);
    expect(answerBudget(engine, 'Answer: 356')).toBe(192);
    // The shipped tokenizer writes one digit per token.
    expect(answerBudget(engine, '7'.repeat(250))).toBe(251);
  });

  it('picks the first examples of each family in file order', () => {
    const ex = (id: string, family: string): HeldoutExample => ({ id, family, prompt: 'p', response: 'r' });
    const all = [ex('a1', 'a'), ex('b1', 'b'), ex('a2', 'a'), ex('a3', 'a'), ex('b2', 'b')];
    expect(firstPerFamily(all, 2).map((e) => e.id)).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(firstPerFamily(all, 0)).toHaveLength(5);
  });

  it('reads a file line by line and names the line that is not an example', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'heldout-'));
    try {
      const file = path.join(dir, 'h.jsonl');
      const good = JSON.stringify({ id: 'copy:1', family: 'copy', prompt: 'p', response: 'r' });
      await writeFile(file, `${good}\n\n${good}\n`);
      expect((await readHeldout(file)).map((e) => e.id)).toEqual(['copy:1', 'copy:1']);
      await writeFile(file, `${good}\n\n{"id": "x"\n`);
      await expect(readHeldout(file)).rejects.toThrow(`${file} line 3 is not JSON; each line holds one example {id, family, prompt, response}`);
      await writeFile(file, `${good}\n{"id": "x", "family": "copy", "prompt": "p"}\n`);
      await expect(readHeldout(file)).rejects.toThrow(`${file} line 2: `);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('matches answers exactly once surrounding whitespace is stripped', () => {
    expect(isExactMatch(' 18, 17\n', '18, 17')).toBe(true);
    expect(isExactMatch('18, 17, 16', '18, 17')).toBe(false);
  });
});
