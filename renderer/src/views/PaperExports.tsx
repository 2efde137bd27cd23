// SVG for papers: the KV strip as vector shapes (the canvas's layout and geometry, not a
// screenshot), and the token stream over a range of macro steps the user picks.
import { useState } from 'react';
import type { LaneId } from '../../../host/protocol';
import { downloadBlob } from '../download';
import { useKvPalette } from '../hooks/useKvPalette';
import { useRun } from '../hooks/useRun';
import { conventionOf } from '../../../engine/positionConvention';
import { kvLayout } from '../model/kvCells';
import { KV_METRICS, stripCells } from '../model/kvGeometry';
import { kvStripSvg } from '../model/kvStripSvg';
import { clampRange, tokenStreamSvg } from '../model/tokenStreamSvg';

/** Width of the exported figures: a column of a two-column paper at 96 dpi and 2×. */
const FIGURE_WIDTH = 720;

function cssVariable(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const saveSvg = (name: string, svg: string): void => downloadBlob(name, new Blob([svg], { type: 'image/svg+xml' }));

export function PaperExports({ lane }: { lane: LaneId }) {
  const record = useRun(lane);
  const palette = useKvPalette();
  const [from, setFrom] = useState('0');
  const [to, setTo] = useState('');
  const shown = record?.shown ?? 0;
  if (record === undefined || shown === 0) return null;
  const range = clampRange({ from: Number(from) || 0, to: to.trim() === '' || Number.isNaN(Number(to)) ? shown - 1 : Number(to) }, shown);
  const onStrip = () => saveSvg(`kv-strip-${record.started.runId}.svg`, kvStripSvg(stripCells(kvLayout(record.steps, shown, conventionOf(record.started.settings))), FIGURE_WIDTH, KV_METRICS.normal, palette, cssVariable('--panel')));
  const onStream = () => {
    if (range === null) return;
    const style = { font: cssVariable('--mono'), fontPx: 12, text: cssVariable('--text'), border: cssVariable('--border'), muted: cssVariable('--muted'), background: cssVariable('--panel') };
    saveSvg(`tokens-${record.started.runId}-steps-${range.from}-${range.to}.svg`, tokenStreamSvg(record.steps, range, FIGURE_WIDTH, style));
  };
  return (
    <div className="paper-exports small muted" data-testid="paper-exports">
      SVG:{' '}
      <button type="button" className="link" onClick={onStrip} data-testid="export-kv-svg" title="The KV strip up to the step shown, as vector shapes">
        KV strip
      </button>{' '}
      · tokens of steps{' '}
      <input type="number" min={0} max={shown - 1} value={from} onChange={(e) => setFrom(e.target.value)} aria-label="First macro step" data-testid="stream-svg-from" />
      –
      <input type="number" min={0} max={shown - 1} value={to} placeholder={String(shown - 1)} onChange={(e) => setTo(e.target.value)} aria-label="Last macro step" data-testid="stream-svg-to" />{' '}
      <button type="button" className="link" onClick={onStream} data-testid="export-stream-svg" title="The token stream over these macro steps">
        token stream {range === null ? "" : `${range.from}–${range.to}`}
      </button>
    </div>
  );
}
