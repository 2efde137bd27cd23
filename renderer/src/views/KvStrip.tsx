// The KV-cache strip: one cell per KV entry, prompt entries apart from smashed ones, the
// number in a cell = tokens it holds, the last group drawn as pending; in checked runs a red
// corner marks an entry holding a token the baseline rejects. The cells are drawn on
// a canvas (only the rows in view), so a run of a thousand entries costs no more per frame
// than a screenful. Clicking a cell, or the arrow keys on the focused strip, select it (its
// tokens light up in the stream); the selected cell is a DOM element over the canvas, with
// its entry as data attributes and ARIA option.
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import type { LaneId } from '../../../host/protocol';
import { drawKvStrip, firstCellToDraw, type KvDrawing } from '../canvas/drawKvStrip';
import { useElementSize } from '../hooks/useElementSize';
import { useKvPalette } from '../hooks/useKvPalette';
import { useRun } from '../hooks/useRun';
import { conventionOf } from '../../../engine/positionConvention';
import { holdsRejection, kvLayout, type KvCell } from '../model/kvCells';
import { contextMarks } from '../model/runHistory';
import { cellAt, cellInNextRow, kvGeometry, KV_METRICS, stripCells, type KvGeometry } from '../model/kvGeometry';
import { entriesWithPending } from '../model/chartSeries';
import { flaggedTokens } from '../model/tokenChecks';
import { formatProb, visibleToken } from '../model/tokenText';
import { useViewStore } from '../stores/viewStore';

/** Most of the strip's height on screen; it scrolls beyond. */
const STRIP_HEIGHT = { normal: 92, compact: 64, presentation: 120 };
/** Within this many pixels of the end, the strip keeps following new entries. */
const FOLLOW_SLACK = 4;
const NO_CELLS: KvGeometry = { x: [], y: [], width: [], rowStarts: [], height: 0 };

/** What the baseline's check says about a cell, for its title and details. */
function cellCheck(cell: KvCell): string {
  const verifier = cell.checks.find((c) => c?.kind === 'verifier');
  if (verifier?.kind === 'verifier') return verifier.outcome === 'correction' ? ' · the baseline\'s token, replacing a rejected draft' : ' · the baseline\'s own (bonus) token';
  const flagged = flaggedTokens(cell.checks);
  if (flagged > 0) return ` · the baseline rejects ${flagged} of its tokens`;
  return cell.checks.length > 0 && cell.checks.every((c) => c?.kind === 'accepted') ? ' · every token kept by the baseline' : '';
}

function cellTitle(cell: KvCell): string {
  const size = cell.tokenIds.length;
  if (cell.kind === 'prompt') return `entry ${cell.index} · position ${cell.positionId} · prompt token ${JSON.stringify(cell.texts[0])}`;
  const pending = cell.kind === 'pending' ? ' (pending: written when the next step runs)' : '';
  return `entry ${cell.index} · position ${cell.positionId} · ${size} token${size === 1 ? '' : 's'}${pending}${cellCheck(cell)}`;
}

export function KvSummary({ lane }: { lane: LaneId }) {
  // The last shown step's totals: the same object until the cursor moves.
  const totals = useRun(lane, (record) => (record.shown === 0 ? undefined : record.steps[record.shown - 1]!.totals));
  if (totals === undefined) return <div className="kv-summary muted">No KV entries yet.</div>;
  const entries = entriesWithPending(totals);
  const pending = entries - totals.generatedEntries;
  return (
    <div className="kv-summary" data-testid="kv-summary">
      <strong>
        {totals.tokens} tokens in {entries} KV entries
      </strong>{' '}
      ({totals.tokensPerEntry.toFixed(2)} tokens per entry) · cache: {totals.promptEntries} prompt + {totals.generatedEntries} smashed entries written, {pending}{' '}
      pending
    </div>
  );
}

export function KvStrip({ lane, compact = false }: { lane: LaneId; compact?: boolean }) {
  const record = useRun(lane);
  const selected = useViewStore((state) => state.selectedEntry);
  const selectEntry = useViewStore((state) => state.selectEntry);
  const presentation = useViewStore((state) => state.presentation);
  const palette = useKvPalette();
  const metrics = presentation ? KV_METRICS.presentation : KV_METRICS.normal;
  const maxHeight = presentation ? STRIP_HEIGHT.presentation : compact ? STRIP_HEIGHT.compact : STRIP_HEIGHT.normal;
  const scroller = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [area, size] = useElementSize<HTMLDivElement>();
  const layout = useMemo(() => (record === undefined ? null : kvLayout(record.steps, record.shown, conventionOf(record.started.settings))), [record?.steps, record?.shown, record?.started.settings]);
  const cells = useMemo(() => (layout === null ? [] : stripCells(layout)), [layout]);
  const marks = useMemo(() => (record === undefined ? [] : contextMarks(record)), [record?.started, record?.steps]);
  const geometry = useMemo(() => (size.width > 0 ? kvGeometry(cells, size.width, metrics) : NO_CELLS), [cells, size.width, metrics]);
  const viewHeight = Math.min(geometry.height, maxHeight);
  const pixelRatio = window.devicePixelRatio || 1;
  // Scroll position as last seen or set here: drawing never reads it back from the DOM.
  const scrollTop = useRef(0);
  const following = useRef(true);
  const [hovered, setHovered] = useState<number | null>(null);

  const drawn = useRef<KvDrawing | null>(null);
  const heightFollowed = useRef(0);

  const draw = () => {
    const context = canvas.current?.getContext('2d');
    if (context === null || context === undefined) return;
    const drawing: KvDrawing = { cells, metrics, palette, view: { top: scrollTop.current, width: size.width, height: viewHeight, pixelRatio } };
    drawKvStrip(context, drawing, geometry, firstCellToDraw(drawn.current, drawing));
    drawn.current = drawing;
  };
  const drawLatest = useRef(draw);
  drawLatest.current = draw;

  // A new run is followed from its start.
  const runId = record?.started.runId;
  useLayoutEffect(() => {
    following.current = true;
  }, [runId]);

  // Follow the newest entries while the run grows (unless the user scrolled up), then draw.
  // The scroll position is written only when a row is added: each write makes the page lay out.
  useLayoutEffect(() => {
    const end = Math.max(0, geometry.height - viewHeight);
    if (following.current && geometry.height !== heightFollowed.current && scroller.current !== null) {
      scroller.current.scrollTop = end;
      scrollTop.current = end;
    }
    heightFollowed.current = geometry.height;
    // A shorter strip (a new run, the cursor moved back): the browser clamps its scroll the same way.
    if (scrollTop.current > end) scrollTop.current = end;
    draw();
  }, [cells, geometry, palette, viewHeight, pixelRatio]);

  // A cell selected by key may be out of view: scroll to it.
  useEffect(() => {
    const element = scroller.current;
    if (selected === null || selected >= geometry.y.length || element === null) return;
    const y = geometry.y[selected]!;
    if (y < scrollTop.current || y + metrics.cellHeight > scrollTop.current + viewHeight) element.scrollTop = y - (viewHeight - metrics.cellHeight) / 2;
  }, [selected]);

  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    scrollTop.current = element.scrollTop;
    following.current = element.scrollTop >= geometry.height - viewHeight - FOLLOW_SLACK;
    drawLatest.current();
  };

  const cellUnder = (event: MouseEvent<HTMLElement>): number | null => {
    const box = canvas.current?.getBoundingClientRect();
    return box === undefined ? null : cellAt(geometry, metrics, event.clientX - box.left, event.clientY - box.top + scrollTop.current);
  };

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const cell = cellUnder(event);
    if (cell !== null) selectEntry(selected === cell ? null : cell);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const last = cells.length - 1;
    if (last < 0) return;
    let next: number | null;
    switch (event.key) {
      case 'ArrowRight':
        next = selected === null ? 0 : Math.min(last, selected + 1);
        break;
      case 'ArrowLeft':
        next = selected === null ? last : Math.max(0, selected - 1);
        break;
      case 'ArrowDown':
      case 'ArrowUp':
        next = selected === null || selected > last ? last : (cellInNextRow(geometry, metrics, selected, event.key === 'ArrowUp' ? -1 : 1) ?? selected);
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = last;
        break;
      default:
        return;
    }
    // The strip's own keys: not the page's scrubbing shortcuts.
    event.preventDefault();
    event.stopPropagation();
    selectEntry(next);
  };

  // Cells are in entry order, so an entry's index is its position in the strip.
  const chosen = selected !== null ? cells[selected] : undefined;
  const hoveredCell = hovered !== null ? cells[hovered] : undefined;
  // Once per change of the cells, not on every render (a scroll, a hover).
  const counts = useMemo(
    () => ({
      prompt: layout?.promptEntries ?? 0,
      groups: layout?.groupEntries ?? 0,
      pending: layout?.pending.length ?? 0,
      flagged: cells.filter(holdsRejection).length,
    }),
    [layout, cells],
  );
  return (
    <section className={`kv-strip${compact ? ' compact' : ''}`} aria-label="KV cache">
      <div
        className="kv-cells"
        ref={scroller}
        style={{ maxHeight }}
        role="listbox"
        tabIndex={0}
        aria-label={`KV cache: ${counts.prompt} prompt entries, ${counts.groups} smashed entries, ${counts.pending} pending.${counts.flagged > 0 ? ` ${counts.flagged} hold tokens the baseline rejects.` : ''} Arrow keys, Home and End select an entry.`}
        aria-activedescendant={chosen === undefined ? undefined : `kv-selected-${lane}`}
        title={hoveredCell === undefined ? undefined : cellTitle(hoveredCell)}
        onScroll={onScroll}
        onClick={onClick}
        onKeyDown={onKeyDown}
        onMouseMove={(event) => setHovered(cellUnder(event))}
        onMouseLeave={() => setHovered(null)}
        data-testid={`kv-strip-${lane}`}
        data-prompt-entries={counts.prompt}
        data-group-entries={counts.groups}
        data-pending-entries={counts.pending}
        data-flagged-entries={counts.flagged}
        data-context-marks={marks.map((m) => m.entry).join(' ')}
      >
        {cells.length === 0 && (
          <span className="muted">
            {record === undefined ? 'The KV cache fills here: one cell per entry.' : `Prompt of ${record.started.prompt.tokenIds.length} tokens waits for prefill.`}
          </span>
        )}
        <div className="kv-area" ref={area} style={{ height: geometry.height }}>
          <canvas
            ref={canvas}
            className="kv-canvas"
            width={Math.round(size.width * pixelRatio)}
            height={Math.round(viewHeight * pixelRatio)}
            style={{ width: size.width, height: viewHeight }}
          />
          {marks
            .filter((mark) => mark.entry < geometry.x.length)
            .map((mark) => (
              <div
                key={`${mark.kind}-${mark.entry}`}
                className={`kv-mark kv-mark-${mark.kind}`}
                title={mark.label}
                data-testid="kv-mark"
                data-entry={mark.entry}
                style={{ left: geometry.x[mark.entry]! - 3, top: geometry.y[mark.entry], height: metrics.cellHeight }}
              />
            ))}
          {chosen !== undefined && chosen.index < geometry.x.length && (
            <div
              id={`kv-selected-${lane}`}
              className="kv-selection"
              role="option"
              aria-selected="true"
              aria-posinset={chosen.index + 1}
              aria-setsize={cells.length}
              aria-label={cellTitle(chosen)}
              data-kv-selected=""
              data-kv-cell={chosen.kind}
              data-index={chosen.index}
              data-tokens={chosen.tokenIds.length}
              style={{ left: geometry.x[chosen.index], top: geometry.y[chosen.index], width: geometry.width[chosen.index], height: metrics.cellHeight }}
            />
          )}
        </div>
      </div>
      {!compact && layout !== null && <KvCellDetails cells={layout.cells} pending={layout.pending} selected={selected} />}
    </section>
  );
}

function KvCellDetails({ cells, pending, selected }: { cells: KvCell[]; pending: KvCell[]; selected: number | null }) {
  if (selected === null) return <div className="kv-details muted">Select a cell to see the tokens smashed into it.</div>;
  const cell = cells[selected] ?? pending.find((p) => p.index === selected);
  if (cell === undefined) return <div className="kv-details muted">Entry {selected} is not on screen at this point of the run.</div>;
  return (
    <div className="kv-details" data-testid="kv-details">
      <span>
        Entry <b>{cell.index}</b> · position id <b>{cell.positionId}</b> · {cell.kind === 'prompt' ? 'prompt token' : cell.kind === 'pending' ? 'pending group' : cell.emittedBy === null ? "an earlier run's group (a fork's prefix or an earlier answer)" : `group of macro step ${cell.emittedBy}`}
        {cellCheck(cell)}
      </span>
      <span className="kv-detail-tokens" data-testid="kv-detail-tokens">
        {cell.texts.map((text, i) => (
          <span key={i} className={cell.checks[i] == null ? 'token-chip' : `token-chip check-${cell.checks[i]!.kind}`} data-check={cell.checks[i]?.kind}>
            {visibleToken(text)}
            {cell.probs[i] !== undefined && <small> p={formatProb(cell.probs[i]!)}</small>}
          </span>
        ))}
      </span>
    </div>
  );
}
