// Trace files whose parts disagree are refused where they are read, each with a message that
// names the field and what is allowed: real runs of the shipped package, each changed in one
// place the way a hand-edited or broken file would be.
import { beforeAll, describe, expect, it } from 'vitest';
import type { MacroStep, Trace } from '../../engine/api.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { parseTrace, TraceRecorder } from '../../engine/traceRecorder.js';
import { parseTraceText } from '../../renderer/src/model/traceFile.js';
import { engineThrow } from '../support/engineRejection.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROSE = 'Continue this passage:\nThe old house stood at the end of the road, and nobody in the village could remember who had built it.';

type Base = 'plain' | 'audit' | 'verify';
const bases = {} as Record<Base, Trace>;

beforeAll(async () => {
  const engine = await HamburgerEngine.load(MODEL_DIR);
  const requests = {
    plain: { prompt: PROSE, confidence: 0, maxNewTokens: 24 },
    audit: { prompt: PROSE, audit: true, confidence: 0, maxNewTokens: 24 },
    verify: { prompt: PROSE, mode: 'verify', confidence: 0.5, maxNewTokens: 48 },
  } as const;
  try {
    for (const base of ['plain', 'audit', 'verify'] as const) {
      const recorder = new TraceRecorder({ name: engine.info.name, description: '' });
      await engine.generate(requests[base], (event) => recorder.record(event)).done;
      bases[base] = recorder.trace()!;
    }
  } finally {
    await engine.dispose();
  }
});

/** The index of the first step after step 0 that `test` picks. */
function stepWhere(trace: Trace, test: (step: MacroStep) => boolean): number {
  const s = trace.steps.findIndex((step, i) => i > 0 && test(step));
  if (s < 0) throw new Error('the run has no such step; pick another prompt');
  return s;
}

const multiToken = (step: MacroStep) => step.micro.length > 1;
const corrected = (step: MacroStep) => step.verification?.outcome === 'correction';
const bonus = (step: MacroStep) => step.verification?.outcome === 'bonus';

/** [what is wrong, base run, change (returns the field it broke), what the message says]. */
const CASES: [string, Base, (t: Trace) => string, RegExp][] = [
  // KV entries: where each step's base forward put them
  ['a group entry in step 0', 'plain', (t) => ((t.steps[0]!.appended[2]!.kind = 'group'), 'steps.0.appended.2.kind'), /step 0 appends only the prompt's entries; kind: expected "prompt", got "group"/],
  ['a prompt entry in a later step', 'plain', (t) => ((t.steps[3]!.appended[0]!.kind = 'prompt'), 'steps.3.appended.0.kind'), /a step after the first appends only group entries .*: expected "group", got "prompt"/],
  ['a prompt token without its entry', 'plain', (t) => (t.steps[0]!.appended.pop(), 'steps.0.appended'), /step 0 appends one entry per prompt token; entries: expected \d+, got \d+/],
  ["a prompt entry holding another token", 'plain', (t) => ((t.steps[0]!.appended[1]!.tokenIds = [7]), 'steps.0.appended.1.tokenIds'), /prompt entry 1 holds prompt token 1: expected \[\d+\], got \[7\]/],
  ['KV entry indexes that skip one', 'plain', (t) => ((t.steps[2]!.appended[0]!.index += 1), 'steps.2.appended.0.index'), /KV entries are numbered consecutively; index: expected \d+, got \d+/],
  ['a fractional KV entry index', 'plain', (t) => ((t.steps[2]!.appended[0]!.index += 0.5), 'steps.2.appended.0.index'), /numbered consecutively; index: expected \d+, got \d+\.5/],
  ['a group entry at the wrong position', 'plain', (t) => ((t.steps[2]!.appended[0]!.positionId -= 1), 'steps.2.appended.0.positionId'), /at the position of its last token; positionId: expected \d+, got \d+/],
  ["a group entry that holds other tokens than the step before emitted", 'plain', (t) => ((t.steps[2]!.appended[0]!.tokenIds = [...t.steps[1]!.tokenIds].reverse().concat(3)), 'steps.2.appended.0.tokenIds'), /entry 0 of step 2 holds tokens of step 1: expected \[[\d, ]+\], got/],
  ["a verify step's feedback as one entry instead of two", 'verify', (t) => {
    const s = stepWhere(t, (step) => step.appended.length === 2);
    const [kept, own] = t.steps[s]!.appended;
    t.steps[s]!.appended = [{ ...own!, index: kept!.index, tokenIds: [...kept!.tokenIds, ...own!.tokenIds] }];
    return `steps.${s}.appended`;
  }, /appends step \d+'s tokens as two entries \(the kept drafts, then the baseline's token\); entries: expected 2, got 1/],
  ["a step's kvEntry that is not its last entry", 'plain', (t) => ((t.steps[2]!.kvEntry -= 1), 'steps.2.kvEntry'), /the index of the last entry the step appended; kvEntry/],
  // steps and micro steps: numbered in order, each in its own step
  ['steps out of order', 'plain', (t) => ([t.steps[1], t.steps[2]] = [t.steps[2]!, t.steps[1]!], 'steps.1.index'), /steps are numbered 0, 1, … in order; index: expected 1, got 2/],
  ['a missing step', 'plain', (t) => (t.steps.splice(2, 1), 'steps.2.index'), /numbered 0, 1, … in order; index: expected 2, got 3/],
  ['a micro step filed under another step', 'plain', (t) => ((t.steps[2]!.micro[0]!.step = 1), 'steps.2.micro.0.step'), /a micro step of step 2 belongs to it; step: expected 2, got 1/],
  ['micro steps out of order', 'plain', (t) => {
    const s = stepWhere(t, multiToken);
    t.steps[s]!.micro.reverse();
    return `steps.${s}.micro.0.index`;
  }, /micro steps are numbered 0, 1, … in order; index: expected 0, got \d/],
  ['a step without micro steps', 'plain', (t) => ((t.steps[2]!.micro = []), 'steps.2.micro'), /a macro step has 1 to 4 \(maxTokensPerStep\) micro steps, got 0/],
  ['more micro steps than a step can hold', 'plain', (t) => ((t.started.settings.maxTokensPerStep = 1), `steps.${t.steps.findIndex(multiToken)}.micro`), /a macro step has 1 to 1 \(maxTokensPerStep\) micro steps, got \d/],
  ['a step whose tokens are not its micro steps\'', 'plain', (t) => (t.steps[2]!.tokenIds.push(5), 'steps.2.tokenIds'), /step 2 emits the tokens of its micro steps: expected \[[\d, ]+\], got \[[\d, ]+, 5\]/],
  ['a micro step that ends its step early', 'plain', (t) => {
    const s = stepWhere(t, multiToken);
    t.steps[s]!.micro[0]!.stopReason = 'stop_head';
    return `steps.${s}.micro.0.stopReason`;
  }, /only the last micro step ends the step; stopReason: expected null, got "stop_head"/],
  ['a negative token id', 'plain', (t) => ((t.steps[1]!.micro[0]!.tokenId = -3), 'steps.1.micro.0.tokenId'), /a token id must be a whole number >= 0, got -3/],
  // the baseline's verdicts
  ['an accepted prefix longer than the verdicts', 'verify', (t) => {
    const s = stepWhere(t, corrected);
    t.steps[s]!.verification!.acceptedPrefix = t.steps[s]!.verification!.verdicts.length + 2;
    return `steps.${s}.verification.acceptedPrefix`;
  }, /the accepted prefix must be a whole number from 0 to the \d+ verdicts, got \d+/],
  ['a fractional accepted prefix', 'audit', (t) => ((t.steps[1]!.verification!.acceptedPrefix = 0.5), 'steps.1.verification.acceptedPrefix'), /a whole number from 0 to the \d+ verdicts, got 0\.5/],
  ['a verdict marked accepted outside the accepted prefix', 'verify', (t) => {
    const s = stepWhere(t, corrected);
    const v = t.steps[s]!.verification!;
    v.verdicts[v.acceptedPrefix]!.accepted = true;
    return `steps.${s}.verification.verdicts.${v.acceptedPrefix}.accepted`;
  }, /accepted marks exactly the first \d+ verdicts \(the accepted prefix\): expected false, got true/],
  ['a correction called a bonus', 'verify', (t) => {
    const s = stepWhere(t, corrected);
    t.steps[s]!.verification!.outcome = 'bonus';
    return `steps.${s}.verification.outcome`;
  }, /a verify step that kept \d+ of \d+ drafts and emitted \d+ tokens has outcome: expected "correction", got "bonus"/],
  ["a verify step without the baseline's token", 'verify', (t) => {
    const s = stepWhere(t, bonus);
    t.steps[s]!.micro.pop();
    t.steps[s]!.micro[t.steps[s]!.micro.length - 1]!.stopReason = t.steps[s]!.stopReason;
    t.steps[s]!.tokenIds.pop();
    return `steps.${s}.verification.outcome`;
  }, /has outcome: expected "ended", got "bonus"/],
  ["a kept draft that is not the emitted token", 'verify', (t) => {
    const s = stepWhere(t, (step) => step.verification!.acceptedPrefix > 0);
    t.steps[s]!.verification!.verdicts[0]!.tokenId += 1;
    return `steps.${s}.micro.0.tokenId`;
  }, /micro step 0 is kept draft 0; tokenId/],
  ['an audit with a verdict missing', 'audit', (t) => (t.steps[1]!.verification!.verdicts.pop(), 'steps.1.verification.verdicts'), /an audit has one verdict per token of the step; verdicts: expected \d+, got \d+/],
  ['a verify step without its verification', 'verify', (t) => (delete t.steps[1]!.verification, 'steps.1.verification'), /every step of a verify run carries the baseline's verification \(kind "verify"\); it is missing/],
  ['verdicts in a run that was not checked', 'plain', (t) => ((t.steps[1]!.verification = bases.audit.steps[1]!.verification), 'steps.1.verification'), /a run neither audited nor in verify mode has no verification; got one of kind "audit"/],
  // totals and the result against the steps
  ['running tokens that do not add up', 'plain', (t) => ((t.steps[3]!.totals.tokens += 1), 'steps.3.totals.tokens'), /tokens emitted by steps 0\.\.3: expected \d+, got \d+/],
  ['KV entries that do not add up', 'verify', (t) => ((t.steps[3]!.totals.kvEntries += 1), 'steps.3.totals.kvEntries'), /kvEntries = promptEntries \+ generatedEntries: expected \d+, got \d+/],
  ['tokens per entry off', 'verify', (t) => ((t.steps[3]!.totals.tokensPerEntry *= 1.5), 'steps.3.totals.tokensPerEntry'), /tokensPerEntry = tokens \/ \(generatedEntries \+ [12] pending\): expected/],
  ["the baseline's running tally off", 'audit', (t) => ((t.steps[2]!.totals.verification!.accepted += 1), 'steps.2.totals.verification.accepted'), /accepted summed over the steps' verdicts: expected \d+, got \d+/],
  ['a result with fewer macro steps than recorded', 'plain', (t) => ((t.result!.macroSteps -= 1), 'result.macroSteps'), /one macro step per recorded step; macroSteps/],
  ["a result whose tokens are not the steps'", 'plain', (t) => ((t.result!.tokenIds[0] = t.result!.tokenIds[0]! + 1), 'result.tokenIds'), /the run's tokens begin with its steps' tokens: expected/],
  ['a finished run with more tokens than its steps', 'plain', (t) => (t.result!.tokenIds.push(5), (t.result!.tokens += 1), 'result.tokenIds'), /the run's tokens are its steps' \d+ tokens, got \d+/],
  ['a result that miscounts its tokens', 'plain', (t) => ((t.result!.tokens += 1), 'result.tokens'), /tokens = the number of tokenIds: expected \d+, got \d+/],
  ['generated entries off', 'verify', (t) => ((t.result!.kvEntries.generated -= 1), 'result.kvEntries.generated'), /the last step's generated entries plus its pending ones; kvEntries.generated/],
  ['a run ended by eos or the token limit whose last step did not', 'plain', (t) => {
    const last = t.steps[t.steps.length - 1]!;
    last.stopReason = last.micro[last.micro.length - 1]!.stopReason = 'stop_head';
    return `steps.${t.steps.length - 1}.stopReason`;
  }, /a run that ended by "(eos|max_new_tokens)" ends its last step by: expected "(eos|limit)", got "stop_head"/],
  ['a result of another run', 'plain', (t) => ((t.result!.runId = 'run-other'), 'result.runId'), /the result of the started run; runId/],
  ["the result's verification off", 'verify', (t) => ((t.result!.verification!.checked += 1), 'result.verification.checked'), /checked summed over the steps' verdicts/],
  // the prompt and the document
  ['prompt token texts that do not match its ids', 'plain', (t) => (t.started.prompt.tokens.pop(), 'started.prompt.tokens'), /one token text per prompt token id: expected \d+, got \d+/],
  ['a result and an error', 'plain', (t) => ((t.error = { code: 'inference_failed', message: 'x' }), 'error'), /a trace ends with a result or an error, not both/],
  ['a step limit of 0', 'plain', (t) => ((t.started.settings.maxTokensPerStep = 0), 'started.settings.maxTokensPerStep'), /maxTokensPerStep must be a whole number >= 1, got 0/],
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('inconsistent traces', () => {
  it('the runs they start from open as recorded', () => {
    for (const trace of Object.values(bases)) expect(parseTraceText(JSON.stringify(trace)).ok).toBe(true);
  });

  it.each(CASES)('%s is refused, naming the field', (_, base, change, message) => {
    const trace = structuredClone(bases[base]);
    const field = change(trace);
    const text = JSON.stringify(trace);
    const parsed = parseTraceText(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toMatch(new RegExp(`^not a hamburger-trace v2 file: ${escape(field)}: `));
    expect(parsed.message).toMatch(message);
    // The engine's reader refuses it the same way.
    expect(engineThrow(() => parseTrace(text))).toMatchObject({ code: 'trace_invalid', field });
  });
});
