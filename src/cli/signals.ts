/**
 * Signals that end a training run cleanly: Ctrl-C (SIGINT), SIGTERM and SIGHUP (a closed
 * terminal or ssh connection, treated as SIGTERM). The first one is recorded and the run stops at
 * the next mini-batch boundary, checkpoints (or, after the last epoch, finishes its final save)
 * and exits 128 + signal (130; 143 for SIGTERM and SIGHUP). The handlers stay installed until
 * the run has saved, so a signal during the final evaluation or save is never the default
 * "die at once". The handlers are removed at the first signal, so a second one ends the process
 * at once (files are only ever replaced by rename, so none is left half-written).
 */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

export class StopSignals {
  /** The first signal received, or null. */
  signal: StopSignal | null = null;
  private readonly handlers = new Map<StopSignal, () => void>();

  /** Installs the handlers. */
  install(): this {
    for (const s of Object.keys(STOP_SIGNALS) as StopSignal[]) {
      const h = () => this.onSignal(s);
      this.handlers.set(s, h);
      process.on(s, h);
    }
    return this;
  }

  private onSignal(s: StopSignal): void {
    this.signal = s;
    // Without our handlers a second signal takes its default action: the process ends at once.
    this.dispose();
  }

  /** The exit code of the signal received (130, 143). */
  get exitCode(): number {
    return this.signal ? STOP_SIGNALS[this.signal] : 0;
  }

  dispose(): void {
    for (const [s, h] of this.handlers) process.removeListener(s, h);
    this.handlers.clear();
  }
}
