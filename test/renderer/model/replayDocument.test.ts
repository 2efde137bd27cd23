import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from '../../../renderer/src/model/traceFile';
import { embedTraces, readEmbeddedTraces, REPLAY_TRACES_MARKER, type ReplayLane } from '../../../renderer/src/replay/replayDocument';

// A trace the engine's CLI wrote (test/fixtures/traces-v1), as the app would export it.
const TEXT = readFileSync(new URL('../../fixtures/traces-v1/5027b71-hamburger.json', import.meta.url), 'utf8');
const TEMPLATE = `<html><head>${REPLAY_TRACES_MARKER}<script type="module">page()</script></head><body></body></html>`;

/** The embedded elements as the page's querySelectorAll finds them (attributes unescaped as a browser does). */
function embedded(html: string): { lane: string | undefined; label: string | undefined; text: string }[] {
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&amp;/g, '&');
  return [...html.matchAll(/<script type="application\/json" data-replay-lane="([^"]*)" data-replay-label="([^"]*)">([\s\S]*?)<\/script>/g)].map((m) => ({
    lane: unescape(m[1]!),
    label: unescape(m[2]!),
    text: m[3]!,
  }));
}

function fixture(): ReplayLane['trace'] {
  const parsed = parseTraceText(TEXT);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.trace;
}

describe('the traces embedded in the replay page', () => {
  it('round-trip: what the export embeds, the page reads back whole', () => {
    const trace = fixture();
    const html = embedTraces(TEMPLATE, [{ lane: 'playground', label: 'this "run" <1>', trace }]);
    expect(html.indexOf('<script type="application/json"')).toBeLessThan(html.indexOf('<script type="module">'));
    const read = readEmbeddedTraces(embedded(html));
    expect(read).toEqual({ ok: true, lanes: [{ lane: 'playground', label: 'this "run" <1>', trace }] });
  });

  it('a token that reads "</script>" cannot end its element', () => {
    const trace = fixture();
    trace.steps[0]!.micro[0]!.text = '</script><script>alert(1)</script>';
    const html = embedTraces(TEMPLATE, [{ lane: 'race-0', label: 'HAMburger', trace }]);
    expect(html).not.toContain('</script><script>alert');
    const read = readEmbeddedTraces(embedded(html));
    expect(read.ok && read.lanes[0]!.trace.steps[0]!.micro[0]!.text).toBe('</script><script>alert(1)</script>');
  });

  it('says what is wrong with a page that holds no trace, a bad lane or a broken trace', () => {
    expect(readEmbeddedTraces([])).toEqual({ ok: false, message: 'this page holds no trace: export it from the app (Export HTML)' });
    expect(readEmbeddedTraces([{ lane: 'race-9', label: 'x', text: TEXT }])).toEqual({
      ok: false,
      message: 'embedded trace for an unknown lane "race-9" (lanes: playground, race-0, race-1, race-2, fork)',
    });
    const broken = readEmbeddedTraces([{ lane: 'playground', label: 'x', text: TEXT.replace('"steps"', '"stops"') }]);
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.message).toMatch(/^embedded trace of lane playground: not a hamburger-trace v\d+ file: steps: /);
    expect(() => embedTraces('<html></html>', [{ lane: 'playground', label: 'x', trace: fixture() }])).toThrow('the replay page has no place for the traces');
  });
});
