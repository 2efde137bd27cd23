// The one-file replay page's data: the traces it carries, one per lane, embedded in the HTML
// as JSON script elements (never executed) where the built page has its marker. Writing them
// in (the app's export) and reading them back (the page) are pure, so both are tested here.
import type { Trace } from '../../../engine/api';
import { LANE_IDS, type LaneId } from '../../../host/protocol';
import { parseTraceText } from '../model/traceFile';

/** Where the built replay page (dist/renderer/replay.html) takes its traces. */
export const REPLAY_TRACES_MARKER = '<meta name="hamburger-replay-traces" />';
/** The embedded traces' elements. */
export const REPLAY_TRACE_SELECTOR = 'script[type="application/json"][data-replay-lane]';

export interface ReplayLane {
  lane: LaneId;
  /** What the page calls the lane ("this run", "Baseline"). */
  label: string;
  trace: Trace;
}

export type ReplayRead = { ok: true; lanes: ReplayLane[] } | { ok: false; message: string };

const escapeAttribute = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The replay page with the lanes' traces in it; `<` is escaped in the JSON so no text can close its element. */
export function embedTraces(template: string, lanes: readonly ReplayLane[]): string {
  // The first: the marker sits in the page's head, ahead of its inlined script.
  const at = template.indexOf(REPLAY_TRACES_MARKER);
  if (at < 0) throw new Error('the replay page has no place for the traces; rebuild the renderer (npm run build:renderer)');
  const scripts = lanes
    .map(({ lane, label, trace }) => `<script type="application/json" data-replay-lane="${escapeAttribute(lane)}" data-replay-label="${escapeAttribute(label)}">${JSON.stringify(trace).replace(/</g, '\\u003c')}</script>`)
    .join('\n');
  return template.slice(0, at) + scripts + template.slice(at + REPLAY_TRACES_MARKER.length);
}

/** The embedded traces as the page finds them: each checked as a trace file is (traceFile.ts). */
export function readEmbeddedTraces(elements: readonly { lane: string | undefined; label: string | undefined; text: string }[]): ReplayRead {
  if (elements.length === 0) return { ok: false, message: 'this page holds no trace: export it from the app (Export HTML)' };
  const lanes: ReplayLane[] = [];
  for (const { lane, label, text } of elements) {
    if (!(LANE_IDS as readonly string[]).includes(lane ?? '')) return { ok: false, message: `embedded trace for an unknown lane "${lane}" (lanes: ${LANE_IDS.join(', ')})` };
    const parsed = parseTraceText(text);
    if (!parsed.ok) return { ok: false, message: `embedded trace of lane ${lane}: ${parsed.message}` };
    lanes.push({ lane: lane as LaneId, label: label ?? lane!, trace: parsed.trace });
  }
  return { ok: true, lanes };
}
