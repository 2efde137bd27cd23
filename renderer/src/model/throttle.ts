// Calls `fn` at most once per `intervalMs`: the first call at once, later ones folded into a
// single call at the end of the interval, so the last change always lands.
export interface Throttle {
  call(): void;
  cancel(): void;
}

export function throttle(fn: () => void, intervalMs: number, now: () => number = () => performance.now()): Throttle {
  let last = Number.NEGATIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    timer = null;
    last = now();
    fn();
  };
  return {
    call: () => {
      if (timer !== null) return;
      const wait = last + intervalMs - now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    },
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
