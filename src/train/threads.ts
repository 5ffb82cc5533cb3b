/**
 * `--threads auto`: whether the conv layers (or an MLP's wide first layer) run on one thread or two is decided by the clock, as
 * the run goes. Every `period` mini-batches, `probe` batches are timed alternately with two
 * threads and with one, and the faster setting is kept until the next probe; so a run adapts when
 * the other core becomes busy or free. The results do not depend on it: both settings compute
 * every number the same way (nn/fast/threads.ts).
 */
export type ThreadSetting = 'auto' | 1 | 2;

/** What the chooser switches: the threads an engine uses from the next step on. */
export interface ThreadSwitch {
  threads: 1 | 2;
}

export class ThreadChooser {
  private n = 0;
  private one = 0;
  private two = 0;

  constructor(
    private readonly engine: ThreadSwitch,
    private readonly probe = 32,
    private readonly period = 2000,
  ) {}

  private t = 0;
  private timing = false;

  /** Before a step (a mini-batch): during a probe, sets the threads and starts the clock. */
  begin(): void {
    const k = this.n % this.period;
    this.timing = k < this.probe;
    if (!this.timing) return;
    this.engine.threads = k % 2 === 0 ? 2 : 1;
    this.t = performance.now();
  }

  /** After the step: during a probe, adds its time to its setting's; at the probe's end keeps the faster. */
  end(): void {
    const k = this.n++ % this.period;
    if (!this.timing) return;
    const dt = performance.now() - this.t;
    if (k % 2 === 0) this.two += dt;
    else this.one += dt;
    if (k === this.probe - 1) {
      this.engine.threads = this.two < this.one ? 2 : 1;
      this.one = this.two = 0;
    }
  }
}
