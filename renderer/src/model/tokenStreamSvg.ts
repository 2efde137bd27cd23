// A stretch of the token stream as a standalone SVG (for papers): macro steps [from, to], each
// group boxed with its stop mark, each token tinted by its probability as on screen
// (tokenColor.ts). Laid out like text in a monospace font, wrapping at the width given.
import type { MacroStep } from '../../../engine/api';
import { STOP_MARKS } from './stopReason';
import { escapeXml, svgNumber as n } from './svgText';
import { tokenBackground } from './tokenColor';
import { visibleToken } from './tokenText';

export interface StreamSvgStyle {
  font: string;
  fontPx: number;
  text: string;
  border: string;
  muted: string;
  background: string;
}

/** A monospace glyph's advance, as a share of the font size. */
const CHAR_WIDTH = 0.6;
const TOKEN_PAD = 2;
const GROUP_PAD = 3;
const GAP = 6;
const PADDING = 8;

export interface StreamRange {
  from: number;
  to: number;
}

/** The range clamped to the steps there are; null when there are none. */
export function clampRange(range: StreamRange, steps: number): StreamRange | null {
  if (steps === 0) return null;
  const from = Math.max(0, Math.min(steps - 1, Math.floor(Math.min(range.from, range.to))));
  const to = Math.max(from, Math.min(steps - 1, Math.floor(Math.max(range.from, range.to))));
  return { from, to };
}

export function tokenStreamSvg(steps: readonly MacroStep[], range: StreamRange, width: number, style: StreamSvgStyle): string {
  const char = style.fontPx * CHAR_WIDTH;
  const rowHeight = style.fontPx + 2 * (TOKEN_PAD + GROUP_PAD) + GAP;
  const right = width - PADDING;
  const groups: string[] = [];
  let x = PADDING;
  let y = PADDING + style.fontPx + GAP;
  for (let s = range.from; s <= range.to && s < steps.length; s++) {
    const step = steps[s]!;
    const texts = step.micro.map((m) => visibleToken(m.text));
    const mark = STOP_MARKS[step.stopReason].mark;
    const tokenWidths = texts.map((t) => [...t].length * char + 2 * TOKEN_PAD);
    const groupWidth = tokenWidths.reduce((a, b) => a + b, 0) + [...mark].length * char * 0.8 + 3 * GROUP_PAD;
    if (x > PADDING && x + groupWidth > right) {
      x = PADDING;
      y += rowHeight;
    }
    const h = style.fontPx + 2 * (TOKEN_PAD + GROUP_PAD);
    const parts = [`<rect x="${n(x)}" y="${n(y)}" width="${n(groupWidth)}" height="${n(h)}" rx="4" fill="none" stroke="${escapeXml(style.border)}"/>`];
    let tx = x + GROUP_PAD;
    step.micro.forEach((m, i) => {
      const fill = tokenBackground(m.prob);
      if (fill !== 'transparent') parts.push(`<rect x="${n(tx)}" y="${n(y + GROUP_PAD)}" width="${n(tokenWidths[i]!)}" height="${n(style.fontPx + 2 * TOKEN_PAD)}" rx="2" fill="${fill}"/>`);
      parts.push(`<text x="${n(tx + TOKEN_PAD)}" y="${n(y + h / 2)}"><title>${escapeXml(`p = ${m.prob.toFixed(3)}`)}</title>${escapeXml(texts[i]!)}</text>`);
      tx += tokenWidths[i]!;
    });
    parts.push(`<text x="${n(tx + GROUP_PAD)}" y="${n(y + h / 2)}" font-size="${n(style.fontPx * 0.8)}" fill="${escapeXml(style.muted)}">${escapeXml(mark)}</text>`);
    groups.push(`<g data-step="${s}"><title>${escapeXml(`step ${s}: ${step.micro.length} tokens, ${STOP_MARKS[step.stopReason].label}`)}</title>${parts.join('')}</g>`);
    x += groupWidth + GAP;
  }
  const height = y + style.fontPx + 2 * (TOKEN_PAD + GROUP_PAD) + PADDING;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}">`,
    `<rect width="100%" height="100%" fill="${escapeXml(style.background)}"/>`,
    `<g font-family="${escapeXml(style.font)}" font-size="${n(style.fontPx)}" fill="${escapeXml(style.text)}" dominant-baseline="central" xml:space="preserve">`,
    `<text x="${PADDING}" y="${n(PADDING + style.fontPx / 2)}" fill="${escapeXml(style.muted)}">macro steps ${range.from}–${range.to}</text>`,
    ...groups,
    '</g>',
    '</svg>',
  ].join('\n');
}
