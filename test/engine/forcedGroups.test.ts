// The timing simulation's forced group sizes (`forcedGroupSizes`, CLI `--forced-groups`): each
// macro step ends at its recorded size whatever the stop head says, marked `forced`; sizes
// above max_steps and malformed lists are refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceSchema } from '../../engine/api.js';
import { requestFromFlags } from '../../engine/cli/requestOptions.js';
import { HamburgerEngine } from '../../engine/engine.js';
import { EngineError } from '../../engine/errors.js';
import { TraceRecorder } from '../../engine/traceRecorder.js';
import { MODEL_DIR } from '../support/shippedModel.js';

const PROMPT = 'Write a sentence about the sea.';
let engine: HamburgerEngine;

beforeAll(async () => {
  engine = await HamburgerEngine.load(MODEL_DIR);
});
afterAll(async () => {
  await engine.dispose();
});

async function run(input: Record<string, unknown>) {
  const recorder = new TraceRecorder({ name: engine.info.name, description: '' });
  const result = await engine.generate({ prompt: PROMPT, confidence: 0.9, ...input }, (e) => recorder.record(e)).done;
  const trace = recorder.trace();
  if (trace === null) throw new Error('the run recorded no trace');
  return { result, trace };
}

describe('forced group sizes', () => {
  it('end each macro step at the schedule, cycled, whatever the stop head says', async () => {
    const schedule = [4, 1, 3, 2];
    const { result, trace } = await run({ maxNewTokens: 30, minNewTokens: 30, forcedGroupSizes: schedule });
    expect(result.tokens).toBe(30);
    const sizes = trace.steps.map((s) => s.micro.length);
    const want = sizes.map((_, i) => schedule[i % schedule.length]!);
    want[want.length - 1] = 30 - want.slice(0, -1).reduce((a, b) => a + b, 0); // the token limit cuts the last one
    expect(sizes).toEqual(want);
    // A full group is `max_steps` first (the reference decoder's precedence), a shorter one `forced`.
    const max = engine.info.architecture.maxSteps;
    expect(trace.steps.slice(0, -1).map((s) => s.stopReason)).toEqual(want.slice(0, -1).map((k) => (k === max ? 'max_steps' : 'forced')));
    expect(trace.steps.at(-1)!.stopReason).toBe('limit');
    expect(trace.started.settings.forcedGroupSizes).toEqual(schedule);
    expect(traceSchema.safeParse(trace).success).toBe(true);
    // Without the schedule the stop head chooses other sizes: the schedule did the cutting.
    const free = await run({ maxNewTokens: 30, minNewTokens: 30 });
    expect(free.trace.steps.map((s) => s.micro.length)).not.toEqual(sizes);
  });

  it('refuses a size above max_steps, naming the entry', async () => {
    const max = engine.info.architecture.maxSteps;
    const error = await run({ forcedGroupSizes: [1, max + 1] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'invalid_request', field: 'forcedGroupSizes.1' });
  });

  it.each([[[]], [[0]], [[1.5]], ['3']])('refuses %j as a schedule', async (sizes) => {
    const error = await run({ forcedGroupSizes: sizes }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_request' });
    expect((error as Error).message).toMatch(/forcedGroupSizes/);
  });

  it('reads --forced-groups as a comma-separated list and refuses anything else', () => {
    expect(requestFromFlags({ 'forced-groups': '4, 2,1' }, 'p').forcedGroupSizes).toEqual([4, 2, 1]);
    for (const raw of ['', '4,,2', '2,x', '0', '-1', '1.5']) {
      expect(() => requestFromFlags({ 'forced-groups': raw }, 'p')).toThrow(/--forced-groups must be comma-separated group sizes/);
    }
  });
});
