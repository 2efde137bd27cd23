// Running figures of a run whose tokens the baseline checks (audit) or verifies (verify):
// how often it agreed, how much it kept, and what that cost in baseline forwards.
import type { StepVerification, VerificationTotals, Verifier } from './api.js';

export class VerificationTally {
  private steps = 0;
  private checked = 0;
  private agreed = 0;
  private accepted = 0;
  private baselineMs = 0;

  constructor(
    private readonly kind: StepVerification['kind'],
    private readonly verifier: Verifier,
  ) {}

  /** One checked macro step: one baseline forward. */
  add(step: StepVerification): void {
    this.steps += 1;
    this.checked += step.verdicts.length;
    this.agreed += step.verdicts.filter((v) => v.agrees).length;
    this.accepted += step.verdicts.filter((v) => v.accepted).length;
    this.baselineMs += step.baselineMs;
  }

  totals(generatedTokens: number): VerificationTotals {
    return {
      kind: this.kind,
      verifier: this.verifier,
      steps: this.steps,
      checked: this.checked,
      agreed: this.agreed,
      accepted: this.accepted,
      agreementRate: ratio(this.agreed, this.checked),
      acceptanceRate: ratio(this.accepted, this.checked),
      meanAcceptedPrefix: ratio(this.accepted, this.steps),
      baselineForwards: this.steps,
      baselineForwardsPerToken: ratio(this.steps, generatedTokens),
      baselineMs: this.baselineMs,
    };
  }
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
