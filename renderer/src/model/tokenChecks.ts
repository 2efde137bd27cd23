// What the baseline made of each token of a checked macro step, aligned with the step's micro
// steps: audited runs (the baseline looked, the output did not change) and verify runs (the
// baseline kept a prefix of HAMburger's drafts and added its own token).
import type { MacroStep, Verdict } from '../../../engine/api';

export type TokenCheck =
  /** The baseline's argmax, inside the prefix that greedy verification keeps. */
  | { kind: 'accepted'; verdict: Verdict }
  /** Not the baseline's choice (audit: greedy baseline would have written `baselineTopText`). */
  | { kind: 'rejected'; verdict: Verdict }
  /** The baseline's argmax too, but after a rejected token of its step: verification would have dropped it. */
  | { kind: 'discarded'; verdict: Verdict }
  /** verify: the baseline's own token, after every draft was kept (`bonus`) or in place of a rejected one (`correction`). */
  | { kind: 'verifier'; outcome: 'bonus' | 'correction'; replaced: Verdict | null };

export type TokenCheckKind = TokenCheck['kind'];

/** One entry per micro step of `step`; null when the run is not checked. */
export function tokenChecks(step: MacroStep): (TokenCheck | null)[] {
  const v = step.verification;
  if (v === undefined) return step.micro.map(() => null);
  if (v.kind === 'audit') {
    return step.micro.map((_, i) => {
      const verdict = v.verdicts[i];
      if (verdict === undefined) return null;
      if (!verdict.agrees) return { kind: 'rejected', verdict };
      return verdict.accepted ? { kind: 'accepted', verdict } : { kind: 'discarded', verdict };
    });
  }
  return step.micro.map((_, i) => {
    if (i < v.acceptedPrefix) return { kind: 'accepted', verdict: v.verdicts[i]! };
    return { kind: 'verifier', outcome: v.outcome === 'correction' ? 'correction' : 'bonus', replaced: v.verdicts[i] ?? null };
  });
}

/** verify: the drafts the baseline did not keep (the first was rejected; the rest went unused). */
export function rejectedDrafts(step: MacroStep): Verdict[] {
  const v = step.verification;
  return v?.kind === 'verify' ? v.verdicts.slice(v.acceptedPrefix) : [];
}

/** Tokens of the step the baseline would not have written (audit: rejected or discarded). */
export function flaggedTokens(checks: readonly (TokenCheck | null)[]): number {
  return checks.filter((c) => c !== null && (c.kind === 'rejected' || c.kind === 'discarded')).length;
}
