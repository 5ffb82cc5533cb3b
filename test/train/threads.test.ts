import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LayeredEngine } from '../../src/train/layered.js';
import { ThreadChooser } from '../../src/train/threads.js';

/** Drives `steps` steps; a step on n threads takes cost(n) ms of the mocked clock. Returns the threads set before each step. */
function drive(chooser: ThreadChooser, engine: { threads: 1 | 2 }, steps: number, cost: (n: 1 | 2) => number): number[] {
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const seen: number[] = [];
  for (let i = 0; i < steps; i++) {
    chooser.begin();
    seen.push(engine.threads);
    now += cost(engine.threads);
    chooser.end();
  }
  return seen;
}

describe('--threads auto (ThreadChooser)', () => {
  afterEach(() => vi.restoreAllMocks());
  it('alternates two and one thread during a probe, then keeps the faster until the next probe', () => {
    const engine = { threads: 1 as 1 | 2 };
    const chooser = new ThreadChooser(engine as unknown as LayeredEngine, 4, 10);
    expect(drive(chooser, engine, 10, (n) => (n === 2 ? 1 : 3))).toEqual([2, 1, 2, 1, 2, 2, 2, 2, 2, 2]);
    // the other core becomes busy: two threads get slower, the next probe switches to one
    expect(drive(chooser, engine, 10, (n) => (n === 2 ? 5 : 3))).toEqual([2, 1, 2, 1, 1, 1, 1, 1, 1, 1]);
  });
});
