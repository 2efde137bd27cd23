// Export HTML: the run on screen (the playground's, or the race's lanes) as one HTML file that
// replays it offline in any browser: the built replay page (replay.html, next to the app's
// files) with the traces embedded. Saved like a trace (Electron: its save dialog; browser: download).
import type { LaneId } from '../../host/protocol';
import { downloadBlob } from './download';
import { traceOf } from './model/traceFile';
import { embedTraces, type ReplayLane } from './replay/replayDocument';
import { useModelStore } from './stores/modelStore';
import { useNoticeStore } from './stores/noticeStore';
import { useRunStore } from './stores/runStore';

export interface ExportLane {
  lane: LaneId;
  label: string;
}

export async function exportReplayHtml(lanes: readonly ExportLane[], fileStem: string): Promise<void> {
  const notify = useNoticeStore.getState().push;
  const runs = useRunStore.getState().runs;
  const model = useModelStore.getState().model;
  const replayLanes: ReplayLane[] = [];
  for (const { lane, label } of lanes) {
    const record = runs[lane];
    if (record === undefined) continue;
    replayLanes.push({ lane, label, trace: traceOf(record, model?.name === record.started.model ? model.description : '') });
  }
  if (replayLanes.length === 0) return notify('error', 'Nothing to export yet: run a generation or open a trace first.');
  try {
    const response = await fetch('./replay.html');
    if (!response.ok) throw new Error(`the replay page could not be read (HTTP ${response.status}); rebuild the renderer (npm run build:renderer)`);
    const html = embedTraces(await response.text(), replayLanes);
    const name = `${fileStem}-${replayLanes[0]!.trace.started.runId}.html`;
    downloadBlob(name, new Blob([html], { type: 'text/html' }));
    notify('info', `Exported ${name}: opens in any browser, offline.`);
  } catch (error) {
    notify('error', `HTML export failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
