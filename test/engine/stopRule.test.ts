import { describe, expect, it } from 'vitest';
import { stopHeadSaysStop } from '../../engine/stopRule.js';

describe('stopHeadSaysStop', () => {
  it('with confidence c stops when 1 - p < c', () => {
    expect(stopHeadSaysStop(0.2, 0.9)).toBe(true);
    expect(stopHeadSaysStop(0.05, 0.9)).toBe(false);
    expect(stopHeadSaysStop(0.1, 0.9)).toBe(false); // 1 - p = 0.9 is not < 0.9
    expect(stopHeadSaysStop(0.7, 0.5)).toBe(true);
    expect(stopHeadSaysStop(0.3, 0.5)).toBe(false);
  });

  it('c = 0 never stops, c = 1 stops at any p > 0', () => {
    for (const p of [0, 0.3, 0.999999, 1]) expect(stopHeadSaysStop(p, 0)).toBe(false);
    for (const p of [1e-12, 0.5, 1]) expect(stopHeadSaysStop(p, 1)).toBe(true);
    expect(stopHeadSaysStop(0, 1)).toBe(false);
  });

  it('without a confidence level stops when p > 0.5', () => {
    expect(stopHeadSaysStop(0.51, null)).toBe(true);
    expect(stopHeadSaysStop(0.5, null)).toBe(false);
  });
});
