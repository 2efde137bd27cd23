import { describe, expect, it } from 'vitest';
import { compareReports, parseReport } from '../../scripts/compareReports.js';

type Outcome = { id: string; family: string; baseline: boolean; hamburger: Record<string, boolean> };

function outcomes(family: string, hamburger: boolean[], baseline: boolean[]): Outcome[] {
  return hamburger.map((right, i) => ({ id: `${family}:${i}`, family, baseline: baseline[i]!, hamburger: { '0.9': right, '1.0': baseline[i]! } }));
}

const T = true;
const F = false;
// A and B agree but on three table examples (B gets two more right, one fewer) and one sort example.
const A = { confidences: [0.9, 1], examples: [...outcomes('table', [T, T, F, F, F, T], [T, T, T, T, F, T]), ...outcomes('sort', [F, F, T, F], [F, T, T, F])] };
const B = { confidences: [0.9, 1], examples: [...outcomes('table', [T, F, T, T, F, T], [T, T, T, T, F, T]), ...outcomes('sort', [F, F, T, T], [F, T, T, F])].reverse() };

describe('compareReports', () => {
  it('pairs the examples by id and gives B minus A per family and overall', () => {
    const text = compareReports(parseReport('A', A), parseReport('B', B), 0.9);
    expect(text).toContain('B minus A on the same examples at confidence 0.9');
    const row = (family: string): string[] => text.split('\n').find((l) => l.startsWith(`| ${family} |`))!.split('|').map((c) => c.trim());
    expect(row('table').slice(1, 5)).toEqual(['table', '6', '50.0%', '66.7%']);
    expect(row('table')[5]).toMatch(/^\+16\.7 \[-\d+\.\d, \+\d+\.\d\]$/);
    expect(row('table').slice(6, 8)).toEqual(['83.3%', '83.3%']);
    expect(row('table')[8]).toMatch(/^0\.0 \[/);
    expect(row('sort').slice(2, 6)).toEqual(['4', '25.0%', '50.0%', expect.stringMatching(/^\+25\.0 \[/)]);
    expect(row('overall').slice(2, 5)).toEqual(['10', '40.0%', '60.0%']);
  });

  it('refuses reports of other examples, a missing level, and reports without outcomes', () => {
    const fewer = { ...B, examples: B.examples.slice(1) };
    expect(() => compareReports(parseReport('A', A), parseReport('B', fewer), 0.9)).toThrow('the reports cover different examples (A 10, B 9, 0 of B\'s not in A)');
    expect(() => compareReports(parseReport('A', A), parseReport('B', B), 0.8)).toThrow('report A has no confidence level 0.8; it has 0.9, 1.0');
    expect(() => parseReport('old.json', { confidences: [0.9], families: [] })).toThrow('old.json is not a report with per-example outcomes (write it with eval --confidences ... --examples --json): examples:');
  });
});
