import { describe, expect, it } from 'vitest';
import { RunCancelled, StepGate } from '../../engine/stepGate.js';
import { TurnScheduler } from '../../engine/turnScheduler.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('StepGate', () => {
  it('passes straight through when running', async () => {
    const states: string[] = [];
    const gate = new StepGate(false, (s) => states.push(s));
    await gate.enter();
    gate.leave(true);
    await gate.enter();
    expect(states).toEqual([]);
  });

  it('started paused, lets one micro step through per stepMicro', async () => {
    const states: string[] = [];
    const gate = new StepGate(true, (s) => states.push(s));
    let entered = 0;
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await gate.enter();
        entered += 1;
        gate.leave(false);
      }
    })();
    await tick();
    expect(entered).toBe(0);
    gate.control('stepMicro');
    await tick();
    expect(entered).toBe(1);
    gate.control('stepMicro');
    await tick();
    expect(entered).toBe(2);
    gate.control('resume');
    await loop;
    expect(entered).toBe(3);
    expect(states).toEqual(['paused', 'running', 'paused', 'running', 'paused', 'running']);
  });

  it('stepMacro runs until the macro step ends', async () => {
    const gate = new StepGate(true, () => undefined);
    const ends = [false, false, true, false, true];
    let entered = 0;
    const loop = (async () => {
      for (const end of ends) {
        await gate.enter();
        entered += 1;
        gate.leave(end);
      }
    })();
    gate.control('stepMacro');
    await tick();
    expect(entered).toBe(3);
    gate.control('stepMacro');
    await loop;
    expect(entered).toBe(5);
  });

  it('cancel wakes a paused run and makes enter throw; waiting time is measured', async () => {
    const gate = new StepGate(true, () => undefined);
    const waiting = gate.enter();
    await tick();
    gate.control('cancel');
    await expect(waiting).rejects.toBeInstanceOf(RunCancelled);
    expect(gate.waitedMs).toBeGreaterThan(3);
    expect(() => gate.throwIfCancelled()).toThrow(RunCancelled);
  });

  it('waits for its turn among runs that share an engine, and counts that wait as waited; a pause gives the turn away', async () => {
    const scheduler = new TurnScheduler();
    const first = scheduler.join();
    const second = scheduler.join();
    const a = new StepGate(false, () => undefined, first);
    const b = new StepGate(true, () => undefined, second);
    await a.enter();
    const bEnters = b.enter();
    b.control('resume');
    await tick();
    // `a` computes; `b` may not until `a` enters its next step.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let bRunning = false;
    void bEnters.then(() => (bRunning = true));
    await tick();
    expect(bRunning).toBe(false);
    const aNext = a.enter();
    await bEnters;
    expect(b.waitedMs).toBeGreaterThan(15);
    a.control('pause');
    second.give();
    await aNext;
    // Paused, `a` holds no turn: `b` runs on at once.
    const aPaused = a.enter();
    await b.enter();
    a.control('cancel');
    await expect(aPaused).rejects.toBeInstanceOf(RunCancelled);
    second.give();
  });
});

