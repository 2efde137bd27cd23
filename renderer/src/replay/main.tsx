// Entry of the one-file replay page (renderer/replay.html, built into dist/renderer/replay.html
// with everything inlined): reads the traces the app embedded, opens each in its lane and plays.
import '../zodConfig';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { wakeFrameLoop } from '../frameLoop';
import { usePaceStore } from '../stores/paceStore';
import { useRunStore } from '../stores/runStore';
import '../styles/app.css';
import { ReplayPage } from './ReplayPage';
import { readEmbeddedTraces, REPLAY_TRACE_SELECTOR } from './replayDocument';

const root = document.getElementById('root')!;
const read = readEmbeddedTraces(
  [...document.querySelectorAll<HTMLScriptElement>(REPLAY_TRACE_SELECTOR)].map((element) => ({
    lane: element.dataset.replayLane,
    label: element.dataset.replayLabel,
    text: element.textContent ?? '',
  })),
);
if (!read.ok) {
  root.textContent = `Cannot replay: ${read.message}`;
} else {
  for (const { lane, label, trace } of read.lanes) useRunStore.getState().openTrace(lane, trace, label);
  const first = read.lanes[0]!.trace;
  const caption = `${read.lanes.length === 1 ? 'Run' : 'Race'} of ${first.model.name} · ${first.started.settings.label} · saved ${first.createdAt.slice(0, 16).replace('T', ' ')} UTC · ${first.steps.length} macro steps`;
  usePaceStore.getState().setPlaying(true);
  wakeFrameLoop();
  createRoot(root).render(
    <StrictMode>
      <ReplayPage lanes={read.lanes.map((l) => l.lane)} caption={caption} />
    </StrictMode>,
  );
}
