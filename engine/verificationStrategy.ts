// The baseline's part in a run, as group strategies of the decode loop (decodeLoop.ts).
// Audit (a `hamburger` run's toggle): after each macro step the baseline checks the step's
// tokens in one forward; it reports its verdicts and the tokens do not change.
// Verify: HAMburger's group is a draft that the baseline checks in one forward; it keeps the
// longest agreeing prefix (sampling: the rejection rule) and adds its own next token.
// HAMburger's cache then gets the kept drafts as one composed entry and the baseline's token
// as a separate one, each at the position of its last token, so its view matches the output.
import type { BaselineVerifier } from './baselineVerifier.js';
import { PlainGroups, TOP_ALTERNATIVES, type Choice, type DecodeLoop, type GroupStrategy } from './decodeLoop.js';
import { summarizeLogits, tokenProbability } from './sampling/distribution.js';
import type { SpeculativeSampler } from './sampling/speculativeSampler.js';
import type { TokenSampler } from './sampling/tokenSampler.js';
import { agreeingPrefix, tokenVerdict } from './tokenVerdict.js';

/** How the baseline takes part in a run: checking each step (audit) or verifying drafts (verify). */
export type RunVerification =
  | { kind: 'audit'; verifier: BaselineVerifier }
  | { kind: 'verify'; verifier: BaselineVerifier; speculation: SpeculativeSampler };

type TextOf = (tokenId: number) => string;

/** The strategy a run's macro steps follow: plain, audited or verified. */
export function groupStrategy(sampler: TokenSampler, verification: RunVerification | null, textOf: TextOf): GroupStrategy {
  if (verification === null) return new PlainGroups(sampler);
  if (verification.kind === 'audit') return new AuditedGroups(new PlainGroups(sampler), verification.verifier, textOf);
  return new VerifiedGroups(verification.verifier, verification.speculation, textOf);
}

/** Row i of k rows of `width` floats. */
function rowOf(rows: Float32Array, i: number, width: number): Float32Array {
  return rows.subarray(i * width, (i + 1) * width);
}

/** Each token as it comes, then the baseline's verdicts on the step from one forward; changes nothing in the run. */
class AuditedGroups implements GroupStrategy {
  constructor(
    private readonly plain: PlainGroups,
    private readonly verifier: BaselineVerifier,
    private readonly textOf: TextOf,
  ) {}

  begin(promptIds: readonly number[]): void {
    this.verifier.reset(promptIds);
  }

  async group(loop: DecodeLoop, step: number): Promise<number[][]> {
    const { verifier } = this;
    const choices = await this.plain.choices(loop, step);
    const tokens = choices.map((c) => c.tokenId);
    const rows = await verifier.check(tokens, false); // [k, V]: the baseline's row before each token
    const producedBefore = loop.output.length - tokens.length;
    const verdicts = tokens.map((token, i) => {
      const row = rowOf(rows, i, verifier.vocabSize);
      // The baseline judged under the same rule the run's tokens were chosen under.
      loop.suppressEarlyEos(row, producedBefore + i);
      return tokenVerdict(token, choices[i]!.prob, row, summarizeLogits(row, 1), this.textOf);
    });
    const acceptedPrefix = agreeingPrefix(verdicts);
    for (let i = 0; i < acceptedPrefix; i++) verdicts[i]!.accepted = true;
    verifier.settle(tokens.length - 1, [tokens[tokens.length - 1]!]);
    const outcome = acceptedPrefix === verdicts.length ? 'bonus' : 'correction';
    loop.report({ kind: 'checked', verdict: { kind: 'audit', verdicts, acceptedPrefix, outcome, draftStopReason: choices.at(-1)!.stopReason! }, own: null });
    return [tokens];
  }
}

/**
 * HAMburger drafts a group (nothing emitted yet), the baseline checks it in one forward, then
 * the kept drafts and the baseline's own token are emitted; the next step appends the kept
 * drafts as one entry and the baseline's token as another ("separate last").
 */
class VerifiedGroups implements GroupStrategy {
  constructor(
    private readonly verifier: BaselineVerifier,
    private readonly speculation: SpeculativeSampler,
    private readonly textOf: TextOf,
  ) {}

  begin(promptIds: readonly number[]): void {
    this.verifier.reset(promptIds);
  }

  async group(loop: DecodeLoop, step: number): Promise<number[][]> {
    const { verifier, speculation } = this;
    const producedBefore = loop.output.length;
    speculation.beginDrafts();
    const drafts: Choice[] = [];
    const draftTokens: number[] = [];
    do {
      const draft = await loop.microStep(step, draftTokens, producedBefore + drafts.length, speculation);
      drafts.push(draft);
      draftTokens.push(draft.tokenId);
    } while (drafts.at(-1)!.stopReason === null);
    const draftStopReason = drafts.at(-1)!.stopReason!;

    const rows = await verifier.check(draftTokens, true); // [k + 1, V]
    const row = (i: number): Float32Array => rowOf(rows, i, verifier.vocabSize);
    for (let i = 0; i <= draftTokens.length; i++) loop.suppressEarlyEos(row(i), producedBefore + i);
    const summaries = Array.from({ length: draftTokens.length + 1 }, (_, i) => summarizeLogits(row(i), TOP_ALTERNATIVES));
    const verdicts = draftTokens.map((token, i) => tokenVerdict(token, drafts[i]!.prob, row(i), summaries[i]!, this.textOf));
    let kept = 0;
    while (kept < draftTokens.length && speculation.accepts(kept, draftTokens[kept]!, row(kept), summaries[kept]!.top[0]!.tokenId)) {
      verdicts[kept]!.accepted = true;
      kept += 1;
    }
    const emitted = drafts.slice(0, kept);
    // Drafting stops at eos and at the token budget, so a fully kept group can end the run.
    const ended = kept === draftTokens.length && (draftStopReason === 'eos' || draftStopReason === 'limit');
    let own: Choice | null = null;
    if (!ended) {
      const summary = summaries[kept]!;
      const tokenId = speculation.replacement(row(kept), summary.top[0]!.tokenId, kept < draftTokens.length ? kept : null);
      // The baseline's own token, described by the baseline's distribution at its place.
      own = { step, index: kept, tokenId, prob: tokenProbability(row(kept), summary, tokenId), summary, stopProb: null, stopReason: null };
      emitted.push(own);
      verifier.settle(kept, [tokenId]);
    }
    const outcome = ended ? 'ended' : kept < draftTokens.length ? 'correction' : 'bonus';
    loop.report({ kind: 'checked', verdict: { kind: 'verify', verdicts, acceptedPrefix: kept, outcome, draftStopReason }, own });

    const tokens = emitted.map((c) => c.tokenId);
    const last = tokens[tokens.length - 1]!;
    const reason = loop.input.stopIds.has(last) ? 'eos' : producedBefore + tokens.length >= loop.tokenLimit ? 'limit' : draftStopReason;
    for (const [i, choice] of emitted.entries()) await loop.emit(choice, i === emitted.length - 1 ? reason : null);
    const feedback: number[][] = [];
    if (kept > 0) feedback.push(tokens.slice(0, kept));
    if (!ended) feedback.push([tokens[kept]!]);
    return feedback;
  }
}
