import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle } from '../../../renderer/src/model/throttle';

describe('throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('calls at once, then folds the calls of an interval into one at its end', () => {
    const fn = vi.fn();
    const refresh = throttle(fn, 100, () => Date.now());
    refresh.call();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(30);
    refresh.call();
    refresh.call();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(69);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(2);
    // Quiet for longer than the interval: the next call is immediate again.
    vi.advanceTimersByTime(250);
    refresh.call();
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('drops a pending call when cancelled', () => {
    const fn = vi.fn();
    const refresh = throttle(fn, 100, () => Date.now());
    refresh.call();
    refresh.call();
    refresh.cancel();
    vi.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
