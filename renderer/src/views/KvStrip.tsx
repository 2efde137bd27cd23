// The KV-cache strip: one cell per KV entry, prompt entries apart from smashed ones, the
// number in a cell = tokens it holds, the last group drawn as pending. Clicking a cell
// selects it (its tokens light up in the stream). Cells are memoised: a live run only
// renders the new ones.
import { memo, useDeferredValue, useEffect, useMemo, useRef, type MouseEvent } from 'react';
import type { LaneId } from '../../../engine/api';
import { useRun } from '../hooks/useRun';
import { kvLayout, type KvCell } from '../model/kvCells';
import { formatProb, visibleToken } from '../model/tokenText';
import { useViewStore } from '../stores/viewStore';

function cellTitle(cell: KvCell): string {
  const size = cell.tokenIds.length;
  if (cell.kind === 'prompt') return `entry ${cell.index} · position ${cell.positionId} · prompt token ${JSON.stringify(cell.texts[0])}`;
  const pending = cell.kind === 'pending' ? ' (pending: written when the next step runs)' : '';
  return `entry ${cell.index} · position ${cell.positionId} · ${size} token${size === 1 ? '' : 's'}${pending}`;
}

interface CellProps {
  index: number;
  kind: KvCell['kind'];
  size: number;
  title: string;
  selected: boolean;
}

// Primitive props only: the layout is rebuilt every frame, so memo must not compare objects.
const KvCellView = memo(function KvCellView({ index, kind, size, title, selected }: CellProps) {
  return (
    <div
      className={`kv-cell kv-${kind} kv-size-${size}${selected ? ' selected' : ''}`}
      data-kv-cell={kind === 'pending' ? undefined : kind}
      data-kv-pending={kind === 'pending' ? '' : undefined}
      data-index={index}
      data-tokens={size}
      title={title}
    >
      {kind === 'prompt' ? '' : size}
    </div>
  );
});

function Cell({ cell, selected }: { cell: KvCell; selected: boolean }) {
  return <KvCellView index={cell.index} kind={cell.kind} size={cell.tokenIds.length} title={cellTitle(cell)} selected={selected} />;
}

export function KvSummary({ lane }: { lane: LaneId }) {
  const record = useRun(lane);
  if (record === undefined || record.shown === 0) return <div className="kv-summary muted">No KV entries yet.</div>;
  const totals = record.steps[record.shown - 1]!.totals;
  const promptEntries = totals.promptEntries;
  return (
    <div className="kv-summary" data-testid="kv-summary">
      <strong>
        {totals.tokens} tokens in {totals.macroSteps} KV entries
      </strong>{' '}
      ({totals.tokensPerEntry.toFixed(2)} tokens per entry) · cache: {promptEntries} prompt + {totals.generatedEntries} smashed entries written, 1 group
      pending
    </div>
  );
}

export function KvStrip({ lane, compact = false }: { lane: LaneId; compact?: boolean }) {
  // Deferred: typing and clicks go first; the strip catches up in the idle part of a frame.
  const record = useDeferredValue(useRun(lane));
  const selected = useViewStore((state) => state.selectedEntry);
  const selectEntry = useViewStore((state) => state.selectEntry);
  const scroller = useRef<HTMLDivElement>(null);
  const layout = useMemo(() => (record === undefined ? null : kvLayout(record.steps, record.shown)), [record?.steps, record?.shown]);

  // Follow the newest entries while the run grows (unless the user scrolled up).
  useEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    const nearEnd = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    if (nearEnd) element.scrollTop = element.scrollHeight;
  }, [layout]);

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const target = (event.target as HTMLElement).closest<HTMLElement>('.kv-cell');
    if (target === null) return;
    const index = Number(target.dataset.index);
    selectEntry(selected === index ? null : index);
  };

  return (
    <section className={`kv-strip${compact ? ' compact' : ''}`} aria-label="KV cache">
      <div className="kv-cells" ref={scroller} onClick={onClick} data-testid={`kv-strip-${lane}`}>
        {layout === null || layout.cells.length === 0 ? (
          <span className="muted">
            {record === undefined ? 'The KV cache fills here: one cell per entry.' : `Prompt of ${record.started.prompt.tokenIds.length} tokens waits for prefill.`}
          </span>
        ) : (
          <>
            {layout.cells.map((cell) => (
              <Cell key={cell.index} cell={cell} selected={selected === cell.index} />
            ))}
            {layout.pending !== null && <Cell key="pending" cell={layout.pending} selected={selected === layout.pending.index} />}
          </>
        )}
      </div>
      {!compact && layout !== null && <KvCellDetails cells={layout.cells} pending={layout.pending} selected={selected} />}
    </section>
  );
}

function KvCellDetails({ cells, pending, selected }: { cells: KvCell[]; pending: KvCell | null; selected: number | null }) {
  if (selected === null) return <div className="kv-details muted">Select a cell to see the tokens smashed into it.</div>;
  const cell = pending?.index === selected ? pending : cells[selected];
  if (cell === undefined) return <div className="kv-details muted">Entry {selected} is not on screen at this point of the run.</div>;
  return (
    <div className="kv-details" data-testid="kv-details">
      <span>
        Entry <b>{cell.index}</b> · position id <b>{cell.positionId}</b> · {cell.kind === 'prompt' ? 'prompt token' : cell.kind === 'pending' ? 'pending group' : `group of macro step ${cell.emittedBy}`}
      </span>
      <span className="kv-detail-tokens" data-testid="kv-detail-tokens">
        {cell.texts.map((text, i) => (
          <span key={i} className="token-chip">
            {visibleToken(text)}
            {cell.probs[i] !== undefined && <small> p={formatProb(cell.probs[i]!)}</small>}
          </span>
        ))}
      </span>
    </div>
  );
}
