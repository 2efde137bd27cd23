// Something opened on first use and kept until released: a package's graphs that a load
// left closed (engine/modelPackage.ts, `openOnDemand`). Callers that ask while it opens share
// that opening; a failed opening is forgotten, so a later call tries again.

export class OnDemand<T> {
  private value: T | null;
  private opening: Promise<T> | null = null;

  private constructor(
    private readonly open: () => Promise<T>,
    private readonly close: (value: T) => Promise<void>,
    value: T | null,
  ) {
    this.value = value;
  }

  /** Opened when first asked for. */
  static later<T>(open: () => Promise<T>, close: (value: T) => Promise<void>): OnDemand<T> {
    return new OnDemand(open, close, null);
  }

  /** Already open (a load that opened everything). */
  static now<T>(value: T, close: (value: T) => Promise<void>): OnDemand<T> {
    return new OnDemand(() => Promise.resolve(value), close, value);
  }

  /** The value, or null while it has not been opened. */
  get ready(): T | null {
    return this.value;
  }

  get(): Promise<T> {
    if (this.value !== null) return Promise.resolve(this.value);
    this.opening ??= this.open().then(
      (value) => {
        this.value = value;
        this.opening = null;
        return value;
      },
      (error: unknown) => {
        this.opening = null;
        throw error;
      },
    );
    return this.opening;
  }

  /** Closes what was opened (waiting for an opening under way). */
  async release(): Promise<void> {
    const value = this.value ?? (await this.opening?.catch(() => null)) ?? null;
    this.value = null;
    if (value !== null) await this.close(value);
  }
}
