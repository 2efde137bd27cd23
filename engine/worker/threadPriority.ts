// The engine's worker thread gives way to the UI. On a two-core laptop a generation at full
// speed otherwise holds a core while the page, the browser and the host share the other, and
// frames and key presses wait for it (docs/app.md, "Smoothness"). Linux gives each thread a
// nice value of its own (found through /proc/thread-self); elsewhere this changes nothing.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Nice value of an engine thread: below the UI's 0, so the scheduler serves the UI first. */
export const ENGINE_THREAD_NICE = 10;

/** Lowers the calling thread's priority; returns the nice value set, or null where it cannot. */
export function lowerThreadPriority(nice = ENGINE_THREAD_NICE): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid)) return null;
    setPriority(tid, nice);
    return nice;
  } catch {
    // A sandbox without /proc or a refused setpriority: run at normal priority.
    return null;
  }
}
