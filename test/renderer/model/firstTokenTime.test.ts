import { describe, expect, it } from 'vitest';
import { firstTokenText } from '../../../renderer/src/model/firstTokenTime';

describe('firstTokenText', () => {
  it('shows milliseconds to one decimal, seconds from one second on', () => {
    expect(firstTokenText({ firstTokenMs: 4.26 })).toBe('4.3 ms');
    expect(firstTokenText({ firstTokenMs: 999.94 })).toBe('999.9 ms');
    expect(firstTokenText({ firstTokenMs: 1234 })).toBe('1.23 s');
  });

  it('shows a dash before the first step and for traces older than the figure', () => {
    expect(firstTokenText(null)).toBe('–');
    expect(firstTokenText({})).toBe('–');
  });
});
