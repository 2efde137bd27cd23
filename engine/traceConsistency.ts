// What a trace's parts must agree on beyond their shapes, checked once where a trace file is
// read (traceSchema in api.ts): the engine's own bookkeeping (docs/engine.md, "The loop" and
// "Audit and verify"), which a replay's views rely on: the KV strip finds a fed-back group in
// the step before it, the stream and the hover card find a kept draft's verdict, and counts,
// indexes and totals add up. Browser-safe: the renderer checks its files through api.ts.
import type { MacroStep, RunSettings, StepVerification, Trace, VerificationTotals } from './api.js';
import { contextEntryPosition, conventionOf, fedEntryPosition } from './positionConvention.js';

export interface TraceIssue {
  /** Where in the document, as zod paths go (["steps", 3, "appended", 0, "kind"]). */
  path: (string | number)[];
  /** What is wrong and what is allowed. */
  message: string;
}

type Path = (string | number)[];

class Inconsistency extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

function fail(path: Path, message: string): never {
  throw new Inconsistency(path, message);
}

function expectEqual(actual: unknown, expected: unknown, path: Path, what: string): void {
  if (actual !== expected) fail(path, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Ratios are computed from the counts the same way the engine does; JSON keeps doubles exact, the tolerance is for other writers. */
function expectRatio(actual: number, part: number, whole: number, path: Path, what: string): void {
  const expected = whole > 0 ? part / whole : 0;
  if (Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(expected))) fail(path, `${what}: expected ${part} / ${whole} = ${expected}, got ${actual}`);
}

function expectWholeNumber(value: number, path: Path, what: string): void {
  if (!Number.isInteger(value) || value < 0) fail(path, `${what} must be a whole number >= 0, got ${value}`);
}

/** Lists of a few ids are shown whole; longer ones (a run's tokens) by their first difference. */
function expectIds(actual: readonly number[], expected: readonly number[], path: Path, what: string): void {
  const differs = actual.findIndex((id, i) => id !== expected[i]);
  if (differs < 0 && actual.length === expected.length) return;
  if (Math.max(actual.length, expected.length) <= 16) fail(path, `${what}: expected [${expected.join(', ')}], got [${actual.join(', ')}]`);
  const at = differs < 0 ? actual.length : differs;
  fail(path, `${what}: expected ${expected.length} ids, got ${actual.length}, the first difference at ${at} (expected ${expected[at] ?? 'none'}, got ${actual[at] ?? 'none'})`);
}

/** The kind of check every step of this run carries: verify mode, an audited run, or none. */
function checkKindOf(settings: RunSettings): StepVerification['kind'] | null {
  if (settings.mode === 'verify') return 'verify';
  return settings.audit === true ? 'audit' : null;
}

/** How a step's tokens go back into the cache: one entry, or (verify) the kept drafts and the baseline's token apart. */
function feedbackSizes(step: MacroStep): number[] {
  const v = step.verification;
  const n = step.micro.length;
  if (v?.kind !== 'verify') return [n];
  return [v.acceptedPrefix, n - v.acceptedPrefix].filter((size) => size > 0);
}

interface Tally {
  steps: number;
  checked: number;
  agreed: number;
  accepted: number;
}

function checkStarted(trace: Trace): void {
  const prompt = trace.started.prompt;
  prompt.tokenIds.forEach((id, i) => expectWholeNumber(id, ['started', 'prompt', 'tokenIds', i], 'a token id'));
  expectEqual(prompt.tokens.length, prompt.tokenIds.length, ['started', 'prompt', 'tokens'], 'one token text per prompt token id');
  const settings = trace.started.settings;
  for (const key of ['maxTokensPerStep', 'maxNewTokens'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) fail(['started', 'settings', key], `${key} must be a whole number >= 1, got ${settings[key]}`);
  }
}

/**
 * Step 0 appends the prompt, one entry per token at its own position; later steps append the
 * previous step's tokens as group entries. `emitted`: tokens of the steps before step s.
 */
function checkAppended(trace: Trace, s: number, previous: MacroStep | undefined, emitted: number): void {
  const step = trace.steps[s]!;
  const at = (i: number, key: string): Path => ['steps', s, 'appended', i, key];
  const promptIds = trace.started.prompt.tokenIds;
  if (previous === undefined && trace.started.history !== undefined) return checkContextEntries(trace);
  const kind = previous === undefined ? 'prompt' : 'group';
  step.appended.forEach((entry, i) => {
    expectEqual(entry.kind, kind, at(i, 'kind'), previous === undefined ? "step 0 appends only the prompt's entries; kind" : "a step after the first appends only group entries (the previous step's tokens); kind");
  });
  if (previous === undefined) {
    if (promptIds.length === 0) fail(['started', 'prompt', 'tokenIds'], 'a run with steps has a prompt of at least one token; got none');
    expectEqual(step.appended.length, promptIds.length, ['steps', s, 'appended'], 'step 0 appends one entry per prompt token; entries');
    step.appended.forEach((entry, i) => {
      expectEqual(entry.index, i, at(i, 'index'), 'prompt entries are numbered 0, 1, … in order; index');
      expectEqual(entry.positionId, i, at(i, 'positionId'), 'a prompt entry sits at its own position; positionId');
      expectIds(entry.tokenIds, promptIds.slice(i, i + 1), at(i, 'tokenIds'), `prompt entry ${i} holds prompt token ${i}`);
    });
    return;
  }
  const sizes = feedbackSizes(previous);
  expectEqual(
    step.appended.length,
    sizes.length,
    ['steps', s, 'appended'],
    `step ${s} appends step ${s - 1}'s tokens as ${sizes.length === 1 ? 'one entry' : "two entries (the kept drafts, then the baseline's token)"}; entries`,
  );
  let index = previous.kvEntry + 1;
  const convention = conventionOf(trace.started.settings);
  const fedBefore = emitted - previous.tokenIds.length;
  let from = 0;
  step.appended.forEach((entry, i) => {
    const size = sizes[i]!;
    expectEqual(entry.index, index, at(i, 'index'), 'KV entries are numbered consecutively; index');
    expectIds(entry.tokenIds, previous.tokenIds.slice(from, from + size), at(i, 'tokenIds'), `entry ${i} of step ${s} holds tokens of step ${s - 1}`);
    const position = fedEntryPosition(convention, promptIds.length, fedBefore + from + size);
    const where = convention === 'last_token' ? 'the position of its last token' : 'the number of tokens so far (tokens_so_far)';
    expectEqual(entry.positionId, position, at(i, 'positionId'), `a group entry sits at ${where}; positionId`);
    index += 1;
    from += size;
  });
}

/**
 * Step 0 of a fork or a later turn writes the whole context: its entries hold the context's
 * tokens in order, each where the run's convention puts it (one-token prompt entries, and the
 * groups an earlier run smashed), and the turns and the fork start at entries it has.
 */
function checkContextEntries(trace: Trace): void {
  const step = trace.steps[0]!;
  const history = trace.started.history!;
  const at = (i: number, key: string): Path => ['steps', 0, 'appended', i, key];
  const convention = conventionOf(trace.started.settings);
  let tokens = 0;
  step.appended.forEach((entry, i) => {
    expectEqual(entry.index, i, at(i, 'index'), 'context entries are numbered 0, 1, … in order; index');
    if (entry.tokenIds.length === 0 || (entry.kind === 'prompt' && entry.tokenIds.length !== 1)) fail(at(i, 'tokenIds'), `a ${entry.kind} entry holds ${entry.kind === 'prompt' ? 'one token' : 'one or more tokens'}, got ${entry.tokenIds.length}`);
    expectIds(entry.tokenIds, trace.started.prompt.tokenIds.slice(tokens, tokens + entry.tokenIds.length), at(i, 'tokenIds'), `context entry ${i} holds the context's next tokens`);
    tokens += entry.tokenIds.length;
    // A fork's groups sit where the original put them, when the fork names it.
    const recorded = history.forkStart === undefined || entry.kind !== 'group' ? undefined : history.fork?.positions?.[i - history.forkStart];
    const position = recorded ?? contextEntryPosition(convention, entry.kind, tokens - 1);
    const where = recorded !== undefined ? "where the original put it (fork.positions)" : position === tokens - 1 ? 'the position of its last token' : 'one above its last token (tokens_so_far)';
    expectEqual(entry.positionId, position, at(i, 'positionId'), `a ${entry.kind} entry sits at ${where}; positionId`);
  });
  expectEqual(tokens, trace.started.prompt.tokenIds.length, ['steps', 0, 'appended'], "step 0's entries hold every context token; tokens");
  const entries = step.appended.length;
  history.turnStarts.forEach((start, k) => {
    const previous = k === 0 ? -1 : history.turnStarts[k - 1]!;
    if (!Number.isInteger(start) || start <= previous || start >= entries) fail(['started', 'history', 'turnStarts', k], `turns start at increasing entries of step 0's ${entries}, got ${start}`);
  });
  expectEqual(history.turnStarts.length, history.turns.length + 1, ['started', 'history', 'turnStarts'], 'one start per earlier turn and one for this run; turnStarts');
  const forkStart = history.forkStart;
  if ((forkStart === undefined) !== (history.fork === undefined)) fail(['started', 'history', 'forkStart'], 'a fork names where its groups start, and only a fork does');
  if (forkStart !== undefined && (!Number.isInteger(forkStart) || forkStart < 0 || forkStart > entries)) fail(['started', 'history', 'forkStart'], `the fork's groups start at one of step 0's ${entries} entries (or after them), got ${forkStart}`);
}

/** Entries step 0 writes: one per prompt token, or (a fork or a later turn) the context's, which step 0 lists. */
function promptEntriesOf(trace: Trace): number | null {
  if (trace.started.history === undefined) return trace.started.prompt.tokenIds.length;
  return trace.steps[0]?.appended.length ?? null;
}

function checkMicroSteps(trace: Trace, s: number): void {
  const step = trace.steps[s]!;
  const limit = trace.started.settings.maxTokensPerStep;
  if (step.micro.length < 1 || step.micro.length > limit) fail(['steps', s, 'micro'], `a macro step has 1 to ${limit} (maxTokensPerStep) micro steps, got ${step.micro.length}`);
  step.micro.forEach((micro, i) => {
    const at = (key: string): Path => ['steps', s, 'micro', i, key];
    expectEqual(micro.step, s, at('step'), `a micro step of step ${s} belongs to it; step`);
    expectEqual(micro.index, i, at('index'), 'micro steps are numbered 0, 1, … in order; index');
    expectWholeNumber(micro.tokenId, at('tokenId'), 'a token id');
    const last = i === step.micro.length - 1;
    expectEqual(micro.stopReason, last ? step.stopReason : null, at('stopReason'), last ? "the last micro step ends the step with the step's stopReason" : 'only the last micro step ends the step; stopReason');
  });
  expectIds(
    step.tokenIds,
    step.micro.map((m) => m.tokenId),
    ['steps', s, 'tokenIds'],
    `step ${s} emits the tokens of its micro steps`,
  );
}

/** The baseline's verdicts on one step: one per token (audit) or draft (verify), a kept prefix, an outcome that fits. */
function checkVerification(trace: Trace, s: number, kind: StepVerification['kind'] | null): void {
  const step = trace.steps[s]!;
  const v = step.verification;
  const at = (...keys: (string | number)[]): Path => ['steps', s, 'verification', ...keys];
  if (kind === null) {
    if (v !== undefined) fail(at(), `a run neither audited nor in verify mode has no verification; got one of kind "${v.kind}"`);
    return;
  }
  if (v === undefined) fail(at(), `every step of ${kind === 'verify' ? 'a verify run' : 'an audited run'} carries the baseline's verification (kind "${kind}"); it is missing`);
  expectEqual(v.kind, kind, at('kind'), 'the verification kind of this run');
  const verdicts = v.verdicts.length;
  if (!Number.isInteger(v.acceptedPrefix) || v.acceptedPrefix < 0 || v.acceptedPrefix > verdicts) {
    fail(at('acceptedPrefix'), `the accepted prefix must be a whole number from 0 to the ${verdicts} verdicts, got ${v.acceptedPrefix}`);
  }
  v.verdicts.forEach((verdict, i) => {
    expectWholeNumber(verdict.tokenId, at('verdicts', i, 'tokenId'), 'a token id');
    expectEqual(verdict.accepted, i < v.acceptedPrefix, at('verdicts', i, 'accepted'), `accepted marks exactly the first ${v.acceptedPrefix} verdicts (the accepted prefix)`);
  });
  const kept = v.acceptedPrefix;
  const micro = step.micro;
  if (kind === 'audit') {
    expectEqual(verdicts, micro.length, at('verdicts'), 'an audit has one verdict per token of the step; verdicts');
    v.verdicts.forEach((verdict, i) => expectEqual(verdict.tokenId, micro[i]!.tokenId, at('verdicts', i, 'tokenId'), `verdict ${i} is on micro step ${i}'s token`));
    expectEqual(v.outcome, kept === verdicts ? 'bonus' : 'correction', at('outcome'), `an audit with ${kept} of ${verdicts} tokens accepted has outcome`);
    return;
  }
  if (verdicts < 1) fail(at('verdicts'), 'a verify step checks at least one draft; got no verdicts');
  const outcome = kept < verdicts ? 'correction' : micro.length === kept ? 'ended' : 'bonus';
  expectEqual(v.outcome, outcome, at('outcome'), `a verify step that kept ${kept} of ${verdicts} drafts and emitted ${micro.length} tokens has outcome`);
  // The kept drafts, then the baseline's own token unless the run ended inside the drafts.
  expectEqual(micro.length, v.outcome === 'ended' ? kept : kept + 1, ['steps', s, 'micro'], `a verify step emits its ${kept} kept drafts${v.outcome === 'ended' ? '' : " and the baseline's token"}; micro steps`);
  for (let i = 0; i < kept; i++) expectEqual(micro[i]!.tokenId, v.verdicts[i]!.tokenId, ['steps', s, 'micro', i, 'tokenId'], `micro step ${i} is kept draft ${i}; tokenId`);
}

function tallyOf(step: MacroStep, tally: Tally): Tally {
  const v = step.verification;
  if (v === undefined) return tally;
  return {
    steps: tally.steps + 1,
    checked: tally.checked + v.verdicts.length,
    agreed: tally.agreed + v.verdicts.filter((verdict) => verdict.agrees).length,
    accepted: tally.accepted + v.acceptedPrefix,
  };
}

/** Running (or final) figures of a checked run against the steps' verdicts. */
function checkVerificationTotals(totals: VerificationTotals | undefined, tally: Tally, tokens: number, trace: Trace, kind: StepVerification['kind'] | null, path: Path): void {
  if (kind === null) {
    if (totals !== undefined) fail(path, 'a run neither audited nor in verify mode has no verification totals');
    return;
  }
  if (totals === undefined) fail(path, `${kind === 'verify' ? 'a verify run' : 'an audited run'} carries the baseline's totals; they are missing`);
  expectEqual(totals.kind, kind, [...path, 'kind'], 'the verification kind of this run');
  const verifier = trace.started.settings.verifier;
  if (verifier !== undefined) expectEqual(totals.verifier, verifier, [...path, 'verifier'], 'the verifier named in the settings');
  for (const key of ['steps', 'checked', 'agreed', 'accepted'] as const) expectEqual(totals[key], tally[key], [...path, key], `${key} summed over the steps' verdicts`);
  expectEqual(totals.baselineForwards, tally.steps, [...path, 'baselineForwards'], 'one baseline forward per checked step; baselineForwards');
  expectRatio(totals.agreementRate, tally.agreed, tally.checked, [...path, 'agreementRate'], 'agreementRate = agreed / checked');
  expectRatio(totals.acceptanceRate, tally.accepted, tally.checked, [...path, 'acceptanceRate'], 'acceptanceRate = accepted / checked');
  expectRatio(totals.meanAcceptedPrefix, tally.accepted, tally.steps, [...path, 'meanAcceptedPrefix'], 'meanAcceptedPrefix = accepted / steps');
  expectRatio(totals.baselineForwardsPerToken, tally.steps, tokens, [...path, 'baselineForwardsPerToken'], 'baselineForwardsPerToken = baselineForwards / tokens');
}

/** A step's running totals: what the steps so far add up to. */
function checkTotals(trace: Trace, s: number, tokens: number, tally: Tally, kind: StepVerification['kind'] | null): void {
  const step = trace.steps[s]!;
  const t = step.totals;
  const at = (key: string): Path => ['steps', s, 'totals', key];
  const promptEntries = promptEntriesOf(trace)!;
  const generatedEntries = step.kvEntry + 1 - promptEntries;
  expectEqual(t.tokens, tokens, at('tokens'), `tokens emitted by steps 0..${s}`);
  expectEqual(t.macroSteps, s + 1, at('macroSteps'), `macro steps 0..${s}`);
  expectEqual(t.promptEntries, promptEntries, at('promptEntries'), "one entry per prompt token (a fork's or a later turn's: step 0's entries); promptEntries");
  expectEqual(t.generatedEntries, generatedEntries, at('generatedEntries'), 'group entries appended so far; generatedEntries');
  expectEqual(t.kvEntries, promptEntries + generatedEntries, at('kvEntries'), 'kvEntries = promptEntries + generatedEntries');
  const pending = feedbackSizes(step).length;
  expectRatio(t.tokensPerEntry, tokens, generatedEntries + pending, at('tokensPerEntry'), `tokensPerEntry = tokens / (generatedEntries + ${pending} pending)`);
  expectRatio(t.tokensPerStep, tokens, s + 1, at('tokensPerStep'), 'tokensPerStep = tokens / macroSteps');
  checkVerificationTotals(t.verification, tally, tokens, trace, kind, ['steps', s, 'totals', 'verification']);
}

/** The result against the steps: a cancel may cut a step short after some of its tokens, which the result counts. */
function checkResult(trace: Trace, emitted: number[], tally: Tally, kind: StepVerification['kind'] | null): void {
  const result = trace.result;
  if (result === null) return;
  const { settings } = trace.started;
  const at = (...keys: string[]): Path => ['result', ...keys];
  expectEqual(result.runId, trace.started.runId, at('runId'), 'the result of the started run; runId');
  expectEqual(result.macroSteps, trace.steps.length, at('macroSteps'), 'one macro step per recorded step; macroSteps');
  expectEqual(result.tokens, result.tokenIds.length, at('tokens'), 'tokens = the number of tokenIds');
  result.tokenIds.forEach((id, i) => expectWholeNumber(id, ['result', 'tokenIds', i], 'a token id'));
  const cancelled = result.finishReason === 'cancelled';
  const extra = result.tokenIds.length - emitted.length;
  if (extra < 0 || extra > (cancelled ? settings.maxTokensPerStep : 0)) {
    fail(at('tokenIds'), cancelled
      ? `a cancelled run's tokens are the steps' ${emitted.length} tokens and at most ${settings.maxTokensPerStep} of the step it cut short, got ${result.tokenIds.length}`
      : `the run's tokens are its steps' ${emitted.length} tokens, got ${result.tokenIds.length}`);
  }
  expectIds(result.tokenIds.slice(0, emitted.length), emitted, at('tokenIds'), "the run's tokens begin with its steps' tokens");
  if (result.tokens > settings.maxNewTokens) fail(at('tokens'), `at most maxNewTokens = ${settings.maxNewTokens} tokens, got ${result.tokens}`);
  expectRatio(result.tokensPerStep, result.tokens, result.macroSteps, at('tokensPerStep'), 'tokensPerStep = tokens / macroSteps');
  const promptEntries = promptEntriesOf(trace);
  if (promptEntries !== null) expectEqual(result.kvEntries.prompt, promptEntries, at('kvEntries', 'prompt'), "one entry per prompt token (a fork's or a later turn's: step 0's entries); kvEntries.prompt");
  const last = trace.steps[trace.steps.length - 1];
  const generated = last === undefined ? 0 : last.totals.generatedEntries + feedbackSizes(last).length;
  expectEqual(result.kvEntries.generated, generated, at('kvEntries', 'generated'), "the last step's generated entries plus its pending ones; kvEntries.generated");
  if (result.stopTokenId !== undefined) {
    if (result.finishReason !== 'eos') fail(at('stopTokenId'), `only a run that ended by "eos" names its stop id; this one ended by "${result.finishReason}"`);
    expectEqual(result.stopTokenId, result.tokenIds[result.tokenIds.length - 1], at('stopTokenId'), "the run's last token; stopTokenId");
  }
  if (!cancelled) {
    const stop = result.finishReason === 'eos' ? 'eos' : 'limit';
    if (last === undefined) fail(at('finishReason'), `a run that ended by "${result.finishReason}" has at least one step; got none`);
    expectEqual(last.stopReason, stop, ['steps', trace.steps.length - 1, 'stopReason'], `a run that ended by "${result.finishReason}" ends its last step by`);
  }
  checkVerificationTotals(result.verification, tally, result.tokens, trace, kind, at('verification'));
}

/** The first place where a trace disagrees with itself, or null when every part adds up. */
export function traceInconsistency(trace: Trace): TraceIssue | null {
  try {
    if (trace.result !== null && trace.error !== null) fail(['error'], 'a trace ends with a result or an error, not both');
    checkStarted(trace);
    const kind = checkKindOf(trace.started.settings);
    const emitted: number[] = [];
    let tally: Tally = { steps: 0, checked: 0, agreed: 0, accepted: 0 };
    trace.steps.forEach((step, s) => {
      expectEqual(step.index, s, ['steps', s, 'index'], 'steps are numbered 0, 1, … in order; index');
      checkMicroSteps(trace, s);
      checkVerification(trace, s, kind);
      checkAppended(trace, s, trace.steps[s - 1], emitted.length);
      const last = step.appended[step.appended.length - 1]!;
      expectEqual(step.kvEntry, last.index, ['steps', s, 'kvEntry'], 'the index of the last entry the step appended; kvEntry');
      expectEqual(step.positionId, last.positionId, ['steps', s, 'positionId'], 'the position of the last entry the step appended; positionId');
      emitted.push(...step.tokenIds);
      tally = tallyOf(step, tally);
      checkTotals(trace, s, emitted.length, tally, kind);
    });
    checkResult(trace, emitted, tally, kind);
    return null;
  } catch (error) {
    if (error instanceof Inconsistency) return { path: error.path, message: error.message };
    throw error;
  }
}
