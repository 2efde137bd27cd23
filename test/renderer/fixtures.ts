// Small synthetic runs for the renderer's pure logic: steps with the engine's event shapes.
import type { MacroStep, StartedEvent } from '../../engine/api';

export const PROMPT_IDS = [1, 3, 50, 51, 52, 4];

export function started(runId = 'run-a', paused = false): StartedEvent {
  return {
    type: 'started',
    runId,
    model: 'tiny',
    settings: { mode: 'hamburger', decoder: 'hamburger', label: 'HAMburger', confidence: 0.9, maxNewTokens: 64, maxTokensPerStep: 4, sampling: { kind: 'greedy' }, chatTemplate: true },
    prompt: { text: 'p', rendered: 'p', tokenIds: PROMPT_IDS, tokens: PROMPT_IDS.map((id) => `t${id}`) },
    paused,
  };
}

/** Steps emitting the given group sizes, with positions and totals as the engine computes them. */
export function steps(sizes: number[], msPerStep = 10): MacroStep[] {
  const n = PROMPT_IDS.length;
  const out: MacroStep[] = [];
  let position = n - 1;
  let tokens = 0;
  let nextToken = 100;
  sizes.forEach((size, s) => {
    const appended =
      s === 0
        ? PROMPT_IDS.map((id, i) => ({ index: i, positionId: i, kind: 'prompt' as const, tokenIds: [id], text: `t${id}` }))
        : [{ index: n + s - 1, positionId: (position += sizes[s - 1]!), kind: 'group' as const, tokenIds: out[s - 1]!.tokenIds, text: out[s - 1]!.text }];
    const ids = Array.from({ length: size }, () => nextToken++);
    tokens += size;
    const micro = ids.map((id, i) => ({
      step: s,
      index: i,
      tokenId: id,
      text: `w${id}`,
      prob: 0.5 + i / 10,
      entropy: 1 - i / 10,
      top: [{ tokenId: id, text: `w${id}`, prob: 0.5 }],
      stopProb: i === size - 1 ? 0.9 : 0.01,
      stopReason: i === size - 1 ? ('stop_head' as const) : null,
      ms: 1,
    }));
    const last = appended[appended.length - 1]!;
    out.push({
      index: s,
      appended,
      kvEntry: last.index,
      positionId: last.positionId,
      features: [{ layer: 6, norm: 10 + s, head: [s, -0.5] }],
      micro,
      tokenIds: ids,
      text: micro.map((m) => m.text).join(''),
      stopReason: 'stop_head',
      timings: { embedMs: 0, baseMs: 5, microMs: 5, totalMs: msPerStep, sessionMs: 9 },
      totals: {
        tokens,
        macroSteps: s + 1,
        promptEntries: n,
        generatedEntries: s,
        kvEntries: n + s,
        tokensPerEntry: tokens / (s + 1),
        tokensPerStep: tokens / (s + 1),
        elapsedMs: msPerStep * (s + 1),
        tokensPerSecond: (tokens * 1000) / (msPerStep * (s + 1)),
      },
    });
  });
  return out;
}
