import { describe, expect, it } from 'vitest';
import type { KvPalette } from '../../../renderer/src/canvas/drawKvStrip';
import { kvLayout } from '../../../renderer/src/model/kvCells';
import { kvGeometry, KV_METRICS, stripCells } from '../../../renderer/src/model/kvGeometry';
import { kvStripSvg } from '../../../renderer/src/model/kvStripSvg';
import { clampRange, tokenStreamSvg } from '../../../renderer/src/model/tokenStreamSvg';
import { PROMPT_IDS, steps } from '../fixtures';

const PALETTE: KvPalette = {
  prompt: '#111111',
  groups: ['#000001', '#000002', '#000003', '#000004'],
  accent: '#aa0000',
  rejected: '#ff0000',
  verifier: '#00ff00',
  text: '#eeeeee',
  darkText: '#222222',
  font: '"Mono" & co',
};
const STYLE = { font: 'monospace', fontPx: 12, text: '#eee', border: '#555', muted: '#999', background: '#000' };

describe('KV strip as SVG', () => {
  const run = steps([1, 3, 2, 4]);
  const cells = stripCells(kvLayout(run, run.length, 'last_token'));

  it('draws every cell where the canvas geometry puts it, filled by its size, the last group hatched', () => {
    const svg = kvStripSvg(cells, 120, KV_METRICS.normal, PALETTE, '#101010');
    const geometry = kvGeometry(cells, 120 - 16, KV_METRICS.normal);
    const rects = [...svg.matchAll(/<g><title>[^<]*<\/title><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"[^>]*fill="([^"]+)"/g)];
    expect(rects).toHaveLength(PROMPT_IDS.length + 4);
    rects.forEach((m, i) => {
      expect([Number(m[1]), Number(m[2]), Number(m[3])]).toEqual([geometry.x[i], geometry.y[i], geometry.width[i]]);
    });
    // Prompt entries, then the groups of sizes 1, 3, 2 fed back, then the pending 4.
    expect(rects.map((m) => m[4])).toEqual([...PROMPT_IDS.map(() => '#111111'), '#000001', '#000003', '#000002', 'url(#kv-pending)']);
    expect([...svg.matchAll(/dominant-baseline[^>]*>|<text[^>]*>(\d+)<\/text>/g)].flatMap((m) => (m[1] === undefined ? [] : [Number(m[1])]))).toEqual([1, 3, 2, 4]);
    expect(svg).toContain(`height="${geometry.height + 16}"`);
    expect(svg).toContain('font-family="&quot;Mono&quot; &amp; co"');
  });
});

describe('token stream as SVG', () => {
  const run = steps([1, 3, 2, 4]);

  it('draws the groups of the steps asked for, each token tinted by its probability', () => {
    const svg = tokenStreamSvg(run, { from: 1, to: 2 }, 400, STYLE);
    expect([...svg.matchAll(/data-step="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([1, 2]);
    // Steps 1 and 2 hold tokens 101..103 and 104..105, all below p = 0.95 in the fixture: all tinted.
    for (const id of [101, 102, 103, 104, 105]) expect(svg).toContain(`>w${id}</text>`);
    expect(svg).not.toContain('>w100</text>');
    expect([...svg.matchAll(/rx="2" fill="rgb/g)]).toHaveLength(5);
    expect(svg).toContain('macro steps 1–2');
  });

  it('escapes token text and wraps groups at the width', () => {
    const odd = steps([2, 2, 2]);
    odd[0]!.micro[0]!.text = '<a & "b">';
    const svg = tokenStreamSvg(odd, { from: 0, to: 2 }, 90, STYLE);
    expect(svg).toContain('>&lt;a &amp; &quot;b&quot;&gt;</text>');
    const ys = [...svg.matchAll(/<g data-step="\d+"><title>[^<]*<\/title><rect x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(new Set(ys).size).toBe(3);
  });

  it('clamps a range to the steps there are', () => {
    expect(clampRange({ from: -3, to: 99 }, 4)).toEqual({ from: 0, to: 3 });
    expect(clampRange({ from: 3, to: 1 }, 4)).toEqual({ from: 1, to: 3 });
    expect(clampRange({ from: 0, to: 0 }, 0)).toBeNull();
  });
});
