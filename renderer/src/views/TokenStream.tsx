// The generated text, grouped by macro step: each group boxed (its boundary is where the
// step ended, with the reason marked), each token tinted by its probability; in checked runs,
// what the baseline rejected is underlined and verify's dropped drafts are struck through. Rows are
// virtualised, so 2,000 tokens cost no more to draw than a screenful.
import { defaultRangeExtractor, useVirtualizer } from '@tanstack/react-virtual';
import { Fragment, memo, useEffect, useMemo, useRef, type MouseEvent } from 'react';
import type { MacroStep, MicroStep, Verdict } from '../../../engine/api';
import type { LaneId } from '../../../host/protocol';
import { useRunDeferredWhileRunning } from '../hooks/useRun';
import type { RunRecord } from '../model/runRecord';
import { followRange } from '../model/followRange';
import { STOP_MARKS } from '../model/stopReason';
import { streamRows } from '../model/streamRows';
import { promptEntriesOf } from '../model/runHistory';
import { rejectedDrafts, tokenChecks, type TokenCheck } from '../model/tokenChecks';
import { tokenBackground } from '../model/tokenColor';
import { formatProb, visibleToken } from '../model/tokenText';
import { useViewStore } from '../stores/viewStore';

const CHARS_PER_ROW = 56;
const ROW_HEIGHT_ESTIMATE = 34;
const OVERSCAN = 6;
/** Within this many pixels of the end, the stream keeps following new rows. */
const FOLLOW_SLACK = 80;

function TokenSpan({ micro, check }: { micro: MicroStep; check: TokenCheck | null }) {
  return (
    <span
      className={check === null ? 'token' : `token check-${check.kind}`}
      data-step={micro.step}
      data-micro={micro.index}
      data-check={check?.kind}
      style={{ background: tokenBackground(micro.prob) }}
    >
      {visibleToken(micro.text)}
    </span>
  );
}

/** verify: the drafts the baseline did not keep, struck through where its own token replaced them. */
function RejectedDrafts({ verdicts }: { verdicts: Verdict[] }) {
  const first = verdicts[0]!;
  const title = `rejected draft${verdicts.length === 1 ? '' : 's'}: HAMburger proposed ${JSON.stringify(first.text)} (p=${formatProb(first.draftProb)}); the baseline gives it ${formatProb(first.baselineProb)} and chose ${JSON.stringify(first.baselineTopText)} (${formatProb(first.baselineTopProb)})`;
  return (
    <span className="rejected-drafts" title={title} data-rejected-drafts={verdicts.length}>
      {verdicts.map((v) => visibleToken(v.text)).join('')}
    </span>
  );
}

const Group = memo(function Group({ step, highlighted }: { step: MacroStep; highlighted: boolean }) {
  const stop = STOP_MARKS[step.stopReason];
  const checks = tokenChecks(step);
  const rejected = rejectedDrafts(step);
  return (
    <span className={`group group-${step.tokenIds.length}${highlighted ? ' highlighted' : ''}`} data-group={step.index}>
      {step.micro.map((micro, i) => (
        <Fragment key={micro.index}>
          {rejected.length > 0 && checks[i]?.kind === 'verifier' && <RejectedDrafts verdicts={rejected} />}
          <TokenSpan micro={micro} check={checks[i] ?? null} />
        </Fragment>
      ))}
      <span className={`stop-mark stop-${step.stopReason}`} title={stop.label}>
        {stop.mark}
      </span>
    </span>
  );
});

export function TokenStream({ lane }: { lane: LaneId }) {
  // The page's costliest view to update (docs/app.md, "Smoothness"): the rows below render
  // only when the deferred record changes, not in the urgent render of every fold.
  const record = useRunDeferredWhileRunning(lane);
  return <StreamRows lane={lane} record={record} />;
}

const StreamRows = memo(function StreamRows({ lane, record }: { lane: LaneId; record: RunRecord | undefined }) {
  const selectedEntry = useViewStore((state) => state.selectedEntry);
  const hover = useViewStore((state) => state.hover);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => (record === undefined ? [] : streamRows(record.steps, record.shown, CHARS_PER_ROW)), [record?.steps, record?.shown]);
  const promptEntries = record === undefined ? 0 : promptEntriesOf(record);
  const selectedStep = selectedEntry !== null && selectedEntry >= promptEntries ? selectedEntry - promptEntries : null;
  const open = record !== undefined && record.shown === record.steps.length ? record.openMicros : [];

  // Follow the newest rows while the run grows, unless the user scrolled up. Whether to follow
  // is decided when the stream scrolls, and following only writes the scroll position (the
  // browser clamps it to the end), so a new row does not make the page measure its layout twice.
  const following = useRef(true);
  const runId = record?.started.runId;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT_ESTIMATE,
    overscan: OVERSCAN,
    rangeExtractor: (range) => (following.current ? followRange(range) : defaultRangeExtractor(range)),
    // The scroll that following writes would otherwise re-render the stream synchronously
    // inside its scroll event, a second layout in the same frame.
    useFlushSync: false,
    // Row sizes measured in one run say nothing about another's rows.
    getItemKey: (index) => `${runId ?? ''}:${index}`,
  });
  // While following, a row measured taller or shorter than estimated must not make the
  // virtualizer scroll to keep the rows above in place: the end is what stays in view.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = () => !following.current;
  const totalSize = virtualizer.getTotalSize();
  // A new run is followed from its start.
  useEffect(() => {
    following.current = true;
  }, [runId]);
  useEffect(() => {
    if (following.current && scroller.current !== null && rows.length > 0) scroller.current.scrollTop = totalSize;
  }, [totalSize, rows.length]);
  // The stream's own height changes too (the panels above it grow at the end of a run), and
  // the virtualizer re-renders on that only when it changes the range of rows.
  const hasScroller = record !== undefined;
  useEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => {
      if (following.current) element.scrollTop = element.scrollHeight;
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasScroller]);
  // Only a scroll up leaves the end: the scroll event of a position this stream wrote can
  // arrive after more rows were added, far from the new end, and must not stop following.
  const lastScrollTop = useRef(0);
  const onScroll = () => {
    const element = scroller.current;
    if (element === null) return;
    const top = element.scrollTop;
    if (element.scrollHeight - top - element.clientHeight < FOLLOW_SLACK) following.current = true;
    else if (top < lastScrollTop.current) following.current = false;
    lastScrollTop.current = top;
  };

  useEffect(() => {
    if (selectedStep === null || record === undefined) return;
    const row = rows.findIndex((r) => r.steps.includes(selectedStep));
    if (row >= 0) virtualizer.scrollToIndex(row, { align: 'center' });
  }, [selectedStep]);

  const onMouseOver = (event: MouseEvent<HTMLDivElement>) => {
    const token = (event.target as HTMLElement).closest<HTMLElement>('.token');
    if (token === null) return;
    const rect = token.getBoundingClientRect();
    hover({ step: Number(token.dataset.step), micro: Number(token.dataset.micro), x: rect.left, y: rect.bottom });
  };

  if (record === undefined) {
    return (
      <div className="token-stream empty muted" data-testid={`stream-${lane}`}>
        Output appears here, one box per macro step.
      </div>
    );
  }
  return (
    <div className="token-stream" ref={scroller} onScroll={onScroll} onMouseOver={onMouseOver} onMouseLeave={() => hover(null)} data-testid={`stream-${lane}`}>
      <div style={{ height: totalSize, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            className="stream-row"
            style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
          >
            {rows[item.index]!.steps.map((s) => (
              <Group key={s} step={record.steps[s]!} highlighted={s === selectedStep} />
            ))}
            {item.index === rows.length - 1 && open.length > 0 && <OpenGroup micros={open} />}
          </div>
        ))}
        {rows.length === 0 && open.length > 0 && (
          <div className="stream-row">
            <OpenGroup micros={open} />
          </div>
        )}
      </div>
    </div>
  );
});

/** The step being decoded (seen while stepping micro by micro). */
function OpenGroup({ micros }: { micros: MicroStep[] }) {
  return (
    <span className="group composing" title="macro step in progress">
      {micros.map((micro) => (
        <TokenSpan key={micro.index} micro={micro} check={null} />
      ))}
      <span className="stop-mark">…</span>
    </span>
  );
}
