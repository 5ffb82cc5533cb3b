/**
 * `--threads auto`: whether the conv layers run on one thread or two is decided by the clock, as
 * the run goes. Every `period` mini-batches, `probe` batches are timed alternately with two
 * threads and with one, and the faster setting is kept until the next probe; so a run adapts when
 * the other core becomes busy or free. The results do not depend on it: both settings compute
 * every number the same way (nn/fast/threads.ts).
 */
import type { LayeredEngine } from './layered.js';

export type ThreadSetting = 'auto' | 1 | 2;

export class ThreadChooser {
  private n = 0;
  private one = 0;
  private two = 0;

  constructor(
    private readonly engine: LayeredEngine,
    private readonly probe = 32,
    private readonly period = 2000,
  ) {}

  /** Runs one step (a mini-batch), timing it when it is part of a probe. */
  run<T>(step: () => T): T {
    const k = this.n++ % this.period;
    if (k >= this.probe) return step();
    const both = k % 2 === 0;
    this.engine.threads = both ? 2 : 1;
    const t = performance.now();
    const result = step();
    const dt = performance.now() - t;
    if (both) this.two += dt;
    else this.one += dt;
    if (k === this.probe - 1) {
      this.engine.threads = this.two < this.one ? 2 : 1;
      this.one = this.two = 0;
    }
    return result;
  }
}
