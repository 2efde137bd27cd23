// Where a generation may stop between micro steps: pause, step one micro step, step one
// macro step, resume, cancel. The loop calls `enter()` before every micro step (micro step 0
// includes the base forward) and `leave()` after it; stepping never changes what runs, only when.
// With a turn (generations sharing one engine), `enter()` also waits for the run's turn.
import type { ControlAction } from './api.js';
import type { Turn } from './turnScheduler.js';

/** Thrown out of the loop when the run was cancelled; the run then finishes as `cancelled`. */
export class RunCancelled extends Error {
  constructor() {
    super('generation cancelled');
    this.name = 'RunCancelled';
  }
}

type Allowance = 'run' | 'paused' | 'one-micro' | 'until-macro-end';

export class StepGate {
  private allowance: Allowance;
  private wake: (() => void) | null = null;
  private cancelledFlag = false;
  /** Milliseconds spent waiting in `enter()` (paused, or for the turn), left out of timings. */
  waitedMs = 0;

  constructor(
    startPaused: boolean,
    private readonly onState: (state: 'running' | 'paused') => void,
    private readonly turn: Turn | null = null,
  ) {
    this.allowance = startPaused ? 'paused' : 'run';
  }

  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  control(action: ControlAction): void {
    switch (action) {
      case 'pause':
        this.allowance = 'paused';
        return;
      case 'resume':
        this.allowance = 'run';
        break;
      case 'stepMicro':
        this.allowance = 'one-micro';
        break;
      case 'stepMacro':
        this.allowance = 'until-macro-end';
        break;
      case 'cancel':
        this.cancelledFlag = true;
        break;
    }
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Waits until the next micro step may run; throws RunCancelled after a cancel. */
  async enter(): Promise<void> {
    this.throwIfCancelled();
    if (this.allowance === 'paused') await this.waitWhilePaused();
    if (this.turn !== null) {
      const start = performance.now();
      await this.turn.take();
      this.waitedMs += performance.now() - start;
      this.throwIfCancelled();
    }
  }

  private async waitWhilePaused(): Promise<void> {
    this.turn?.give();
    const start = performance.now();
    this.onState('paused');
    while (this.allowance === 'paused' && !this.cancelledFlag) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    this.waitedMs += performance.now() - start;
    this.throwIfCancelled();
    this.onState('running');
  }

  /** Called after each micro step; a step command pauses again once it is used up. */
  leave(macroStepEnded: boolean): void {
    if (this.allowance === 'one-micro' || (this.allowance === 'until-macro-end' && macroStepEnded)) {
      this.allowance = 'paused';
    }
  }

  throwIfCancelled(): void {
    if (this.cancelledFlag) throw new RunCancelled();
  }
}
