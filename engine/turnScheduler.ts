// Turns between the generations one engine runs at once (the app's race lanes share one
// model's sessions). One generation computes at a time, so each has the cores to itself
// while it does and its timings are its own; each turn goes to the waiting generation that
// has computed least, so over any stretch of time each gets an equal share, and the one
// that needs less time per token really does finish first.

export class TurnScheduler {
  private holder: Turn | null = null;
  /** In the order they asked: among equally served members, the one that asked first goes first. */
  private readonly waiting = new Set<Turn>();

  /** @param now the clock turns are measured on, in milliseconds */
  constructor(readonly now: () => number = () => performance.now()) {}

  /** A new member; it starts level with the least-served one computing or waiting, so it neither waits for nor overtakes them. */
  join(): Turn {
    return new Turn(this, this.leastServed(null));
  }

  /** @internal The member asks for the next turn (giving up the one it holds, if any). */
  request(turn: Turn): Promise<void> {
    // Back from a pause: no credit for the time it was away.
    if (this.holder !== turn) turn.servedMs = Math.max(turn.servedMs, this.leastServed(turn));
    const granted = new Promise<void>((resolve) => {
      turn.wake = resolve;
    });
    if (this.holder === turn) this.holder = null;
    this.waiting.add(turn);
    this.dispatch();
    return granted;
  }

  /** @internal The member stops computing and does not ask again (a pause, or its end). */
  withdraw(turn: Turn): void {
    this.waiting.delete(turn);
    if (this.holder !== turn) return;
    this.holder = null;
    this.dispatch();
  }

  private dispatch(): void {
    if (this.holder !== null) return;
    let next: Turn | null = null;
    for (const candidate of this.waiting) if (next === null || candidate.servedMs < next.servedMs) next = candidate;
    if (next === null) return;
    this.waiting.delete(next);
    this.holder = next;
    next.grant();
  }

  private leastServed(except: Turn | null): number {
    let least = Infinity;
    for (const member of [this.holder, ...this.waiting]) if (member !== null && member !== except) least = Math.min(least, member.servedNowMs());
    return least === Infinity ? 0 : least;
  }
}

/** One generation's place among the engine's runs. */
export class Turn {
  /** Time this member held the turn, counted from where it joined; the turn it holds now not included. */
  servedMs: number;
  /** @internal */
  wake: (() => void) | null = null;
  private heldSince: number | null = null;

  constructor(
    private readonly scheduler: TurnScheduler,
    startMs: number,
  ) {
    this.servedMs = startMs;
  }

  /** Time served, the turn held now included. */
  servedNowMs(): number {
    return this.heldSince === null ? this.servedMs : this.servedMs + this.scheduler.now() - this.heldSince;
  }

  /** Resolves when this member may compute; it keeps the turn it holds if nobody waiting has been served less. */
  take(): Promise<void> {
    this.account();
    return this.scheduler.request(this);
  }

  /**
   * Stops computing without asking again: a pause, or the generation's end. `counted` false:
   * the time held is nobody's (opening graphs that every run will use).
   */
  give(counted = true): void {
    if (counted) this.account();
    else this.heldSince = null;
    this.scheduler.withdraw(this);
  }

  /** @internal */
  grant(): void {
    this.heldSince = this.scheduler.now();
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private account(): void {
    this.servedMs = this.servedNowMs();
    this.heldSince = null;
  }
}
