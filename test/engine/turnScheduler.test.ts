// Turns between the runs of one engine, on a clock the test moves: one member computes at a
// time, the least-served waiting member goes next, and a member that joins or comes back
// from a pause starts level with the others instead of catching up.
import { describe, expect, it } from 'vitest';
import { TurnScheduler, type Turn } from '../../engine/turnScheduler.js';

function setup() {
  let now = 0;
  const scheduler = new TurnScheduler(() => now);
  const holders: string[] = [];
  return {
    scheduler,
    advance: (ms: number) => (now += ms),
    holders,
    /** A member that computes `ms` per step for `steps` steps, recording each step it runs. */
    async member(name: string, turn: Turn, ms: number, steps: number, advance: (ms: number) => number): Promise<void> {
      for (let i = 0; i < steps; i++) {
        await turn.take();
        holders.push(name);
        advance(ms);
        // Other members' continuations run here; none may compute until this one gives the turn.
        await Promise.resolve();
      }
      turn.give();
    },
  };
}

describe('TurnScheduler', () => {
  it('shares time, not steps: a member with steps four times as long gets a quarter of the steps', async () => {
    const { scheduler, advance, holders, member } = setup();
    const slow = scheduler.join();
    const fast = scheduler.join();
    await Promise.all([member('slow', slow, 40, 10, advance), member('fast', fast, 10, 40, advance)]);
    // While both ran, each had about half the time: the fast member's 40 steps were done
    // by the time the slow one had done 10.
    const firstTwenty = holders.slice(0, 20);
    expect(firstTwenty.filter((h) => h === 'slow').length).toBe(4);
    expect(firstTwenty.filter((h) => h === 'fast').length).toBe(16);
    expect(holders.filter((h) => h === 'fast').length).toBe(40);
  });

  it('never lets two members compute at once', async () => {
    const { scheduler } = setup();
    let computing = 0;
    let most = 0;
    const run = async (turn: Turn) => {
      for (let i = 0; i < 20; i++) {
        await turn.take();
        computing += 1;
        most = Math.max(most, computing);
        await new Promise((resolve) => setTimeout(resolve, 0));
        computing -= 1;
      }
      turn.give();
    };
    await Promise.all([run(scheduler.join()), run(scheduler.join()), run(scheduler.join())]);
    expect(most).toBe(1);
  });

  it('starts a member that joins late, or returns from a pause, level with the least-served one', async () => {
    const { scheduler, advance } = setup();
    const a = scheduler.join();
    await a.take();
    advance(100);
    const late = scheduler.join();
    expect(late.servedMs).toBe(100);
    // `a` pauses while `late` computes 500 ms alone; back, it has no credit for the time away.
    a.give();
    await late.take();
    advance(500);
    const back = a.take();
    expect(a.servedMs).toBe(600);
    late.give();
    await back;
    a.give();
  });
});
