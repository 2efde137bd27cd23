// Running figures of an audited or verify run from its steps' verdicts.
import { describe, expect, it } from 'vitest';
import type { StepVerification, Verdict } from '../../engine/api.js';
import { VerificationTally } from '../../engine/verificationTally.js';

function verdict(agrees: boolean, accepted: boolean): Verdict {
  return { tokenId: 1, text: 'a', draftProb: 0.5, baselineProb: 0.4, baselineTopId: agrees ? 1 : 2, baselineTopText: 'a', baselineTopProb: 0.6, agrees, accepted };
}

function step(verdicts: Verdict[], baselineMs: number): StepVerification {
  const acceptedPrefix = verdicts.filter((v) => v.accepted).length;
  return { kind: 'verify', verdicts, acceptedPrefix, outcome: 'correction', draftStopReason: 'stop_head', baselineMs };
}

describe('VerificationTally', () => {
  it('sums verdicts and forwards into rates per checked token, per step and per generated token', () => {
    const tally = new VerificationTally('verify', 'baseline-graphs');
    tally.add(step([verdict(true, true), verdict(true, true), verdict(false, false)], 2));
    // sampling can keep a token the baseline would not have chosen
    tally.add(step([verdict(false, true), verdict(true, false)], 3));
    expect(tally.totals(7)).toEqual({
      kind: 'verify',
      verifier: 'baseline-graphs',
      steps: 2,
      checked: 5,
      agreed: 3,
      accepted: 3,
      agreementRate: 3 / 5,
      acceptanceRate: 3 / 5,
      meanAcceptedPrefix: 3 / 2,
      baselineForwards: 2,
      baselineForwardsPerToken: 2 / 7,
      baselineMs: 5,
    });
  });

  it('reports zeros, not NaN, before anything was checked', () => {
    const totals = new VerificationTally('audit', 'hamburger-single-token').totals(0);
    expect([totals.agreementRate, totals.acceptanceRate, totals.meanAcceptedPrefix, totals.baselineForwardsPerToken]).toEqual([0, 0, 0, 0]);
  });
});
