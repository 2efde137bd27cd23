// The KV strip as a standalone SVG (for papers): the cells the canvas draws, from the same
// layout (kvCells.ts) and geometry (kvGeometry.ts), as vector shapes: prompt entries, smashed
// entries filled by size with their token count, the pending group hatched, and the
// baseline's marks in checked runs.
import type { KvPalette } from '../canvas/drawKvStrip';
import { holdsRejection, type KvCell } from './kvCells';
import { kvGeometry, type KvMetrics } from './kvGeometry';
import { escapeXml, svgNumber as n } from './svgText';

const RADIUS = 3;
const CORNER = 7;
const PADDING = 8;

function cellMarkup(cell: KvCell, x: number, y: number, width: number, metrics: KvMetrics, palette: KvPalette): string {
  const h = metrics.cellHeight;
  const size = cell.tokenIds.length;
  const box = `x="${n(x)}" y="${n(y)}" width="${n(width)}" height="${h}" rx="${RADIUS}"`;
  const parts: string[] = [];
  if (cell.kind === 'pending') {
    parts.push(`<rect ${box} fill="url(#kv-pending)" stroke="${escapeXml(palette.accent)}" stroke-dasharray="3 2"/>`);
  } else {
    const fill = cell.kind === 'prompt' ? palette.prompt : palette.groups[Math.min(size, 4) - 1]!;
    parts.push(`<rect ${box} fill="${escapeXml(fill)}"/>`);
  }
  if (cell.kind !== 'prompt') {
    if (cell.checks.some((c) => c?.kind === 'verifier')) {
      parts.push(`<rect x="${n(x + 1)}" y="${n(y + 1)}" width="${n(width - 2)}" height="${h - 2}" rx="${RADIUS}" fill="none" stroke="${escapeXml(palette.verifier)}" stroke-width="2"/>`);
    }
    if (holdsRejection(cell)) {
      const corner = Math.min(CORNER, width / 2);
      parts.push(`<path d="M${n(x + width - corner)},${n(y)}H${n(x + width)}V${n(y + corner)}Z" fill="${escapeXml(palette.rejected)}"/>`);
    }
    const ink = cell.kind === 'pending' || size === 1 ? palette.text : palette.darkText;
    parts.push(`<text x="${n(x + width / 2)}" y="${n(y + h / 2 + 0.5)}" fill="${escapeXml(ink)}">${size}</text>`);
  }
  const what = cell.kind === 'prompt' ? `prompt entry ${cell.index}` : `entry ${cell.index}: ${size} token${size === 1 ? '' : 's'}${cell.kind === 'pending' ? ' (pending)' : ''}`;
  return `<g><title>${escapeXml(what)}</title>${parts.join('')}</g>`;
}

/** The strip's cells laid out `width` pixels wide, on the given background. */
export function kvStripSvg(cells: readonly KvCell[], width: number, metrics: KvMetrics, palette: KvPalette, background: string): string {
  const inner = Math.max(metrics.promptWidth, width - 2 * PADDING);
  const geometry = kvGeometry(cells, inner, metrics);
  const height = geometry.height + 2 * PADDING;
  const body = cells.map((cell, i) => cellMarkup(cell, geometry.x[i]!, geometry.y[i]!, geometry.width[i]!, metrics, palette)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}">`,
    `<defs><pattern id="kv-pending" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="none"/><line x1="0" y1="0" x2="0" y2="5" stroke="${escapeXml(palette.groups[2])}" stroke-width="2"/></pattern></defs>`,
    `<rect width="100%" height="100%" fill="${escapeXml(background)}"/>`,
    `<g transform="translate(${PADDING},${PADDING})" font-family="${escapeXml(palette.font)}" font-size="${metrics.fontPx}" font-weight="600" text-anchor="middle" dominant-baseline="middle">`,
    body,
    '</g>',
    '</svg>',
  ].join('\n');
}
