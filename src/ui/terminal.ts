/**
 * Terminal output: colours (only on a TTY, never with NO_COLOR), the per-batch progress bar,
 * and number formatting shared by the commands.
 */
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import cliProgress from 'cli-progress';

/** Colours for a stream: none when it is not a TTY or NO_COLOR is set (https://no-color.org). */
export function colorsFor(stream: NodeJS.WriteStream): ChalkInstance {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  const force = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';
  const on = !noColor && (stream.isTTY === true || force);
  return new Chalk({ level: on ? (Math.max(chalk.level, 2) as 2 | 3) : 0 });
}

export const pct = (fraction: number, digits = 2): string => `${(100 * fraction).toFixed(digits)}%`;

export const seconds = (s: number): string => (s < 10 ? `${s.toFixed(2)}s` : `${s.toFixed(1)}s`);

/** A progress bar across the mini-batches of an epoch; a no-op unless stdout is a TTY. */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private lastUpdate = 0;

  constructor(private readonly enabled: boolean) {}

  start(label: string, total: number): void {
    if (!this.enabled) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} {bar} {percentage}% | {value}/{total} batches | {eta_formatted}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stdout,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0);
    this.lastUpdate = 0;
  }

  update(done: number): void {
    if (!this.bar) return;
    // cli-progress redraws at most `fps` times a second; calling it for every mini-batch
    // (5,000 an epoch) still costs time, so hand it a value at most every 50 batches.
    if (done - this.lastUpdate >= 50) {
      this.bar.update(done);
      this.lastUpdate = done;
    }
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.stop();
    this.bar = null;
  }
}
