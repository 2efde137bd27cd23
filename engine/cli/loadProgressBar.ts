// The CLI's model-load progress on stderr: one line, redrawn before each graph opens, cleared
// once the load is done. Only on a terminal: piped output and logs stay as they were.
import type { LoadProgress } from '../api.js';

const WIDTH = 24;

/** The line for one progress report, e.g. `loading [#########...............] base.onnx 2/7, 11 of 28 MB`. */
export function progressLine(progress: LoadProgress): string {
  const share = progress.bytesTotal === 0 ? 1 : progress.bytesDone / progress.bytesTotal;
  const filled = Math.round(share * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  const what = progress.file === null ? 'warming up' : `${progress.file} ${progress.graphsDone + 1}/${progress.graphsTotal}`;
  return `loading ${bar} ${what}, ${(progress.bytesDone / 1e6).toFixed(0)} of ${(progress.bytesTotal / 1e6).toFixed(0)} MB`;
}

export interface TerminalProgress {
  onProgress: (progress: LoadProgress) => void;
  /** Clears the line (the load is over, however it ended). */
  done(): void;
}

/** A progress line drawn on `stream` when it is a terminal; null otherwise. */
export function terminalProgress(stream: NodeJS.WriteStream): TerminalProgress | null {
  if (!stream.isTTY) return null;
  return {
    onProgress: (progress) => stream.write(`\r\x1b[2K${progressLine(progress)}`),
    done: () => stream.write('\r\x1b[2K'),
  };
}
