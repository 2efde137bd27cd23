// Which rows of a virtualised list to render while it follows its newest rows. The range the
// scroll position gives is the previous end's until the browser has scrolled to the new one,
// and rendering it would mount rows only to replace them a frame later.
import type { Range } from '@tanstack/react-virtual';

/** The last `visible` rows (as many as the scroll position shows now) and `overscan` above them. */
export function followRange(range: Range): number[] {
  const visible = range.endIndex - range.startIndex + 1;
  const start = Math.max(0, range.count - visible - range.overscan);
  return Array.from({ length: range.count - start }, (_, i) => start + i);
}
