/**
 * Terminal output: colours (only on a TTY, never with NO_COLOR, FORCE_COLOR=0 or TERM=dumb),
 * the character set (Unicode on a terminal that is not TERM=dumb, whatever the colours), the
 * per-batch progress bar (cursor codes: only on such a terminal), and number formatting shared
 * by the commands.
 */
import chalk, { Chalk, type ChalkInstance } from 'chalk';
import cliProgress from 'cli-progress';

/** TERM=dumb: a terminal that understands neither colours nor cursor movements. */
const dumbTerminal = (env: NodeJS.ProcessEnv) => env.TERM === 'dumb';

/**
 * Colours for a stream: none when NO_COLOR is set (https://no-color.org), FORCE_COLOR is 0
 * or false, or TERM is dumb; otherwise on a TTY, or anywhere with FORCE_COLOR set.
 */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const forceOff = env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false';
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && !forceOff;
  const on = !noColor && !forceOff && !dumbTerminal(env) && (stream.isTTY === true || force);
  return new Chalk({ level: on ? (Math.max(chalk.level, 2) as 2 | 3) : 0 });
}

/** Whether `stream` is a terminal that draws Unicode (a TTY, not TERM=dumb); NO_COLOR and FORCE_COLOR do not change it. */
export function fancyTerminal(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !dumbTerminal(env);
}

/** Whether cursor movements may be sent to `stream` (the progress bar): a Unicode terminal, and not FORCE_COLOR=0, which asks for plain text. */
export function cursorControl(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return fancyTerminal(stream, env) && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
}

export const pct = (fraction: number, digits = 2): string => `${(100 * fraction).toFixed(digits)}%`;

export const seconds = (s: number): string => (s < 10 ? `${s.toFixed(2)}s` : `${s.toFixed(1)}s`);

/** "1h 02m", "3m 05s", "42s": a duration for the progress bar. */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '…';
  const t = Math.round(s);
  if (t >= 3600) return `${Math.floor(t / 3600)}h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
  if (t >= 60) return `${Math.floor(t / 60)}m ${String(t % 60).padStart(2, '0')}s`;
  return `${t}s`;
}

/** Where an epoch's bar stands in the whole run: mini-batches before this epoch, in the run, and when the run started (ms). */
export interface RunPosition {
  doneBefore: number;
  total: number;
  startedAt: number;
}

/**
 * A progress bar across the mini-batches of an epoch, with the running training cost of the
 * epoch and the whole run's remaining time (elapsed / batches done × batches left, so epochs'
 * evaluations are counted in); a no-op unless enabled (stdout a TTY that is not TERM=dumb).
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private lastUpdate = 0;
  private run: RunPosition | null = null;

  constructor(private readonly enabled: boolean) {}

  start(label: string, total: number, run?: RunPosition): void {
    if (!this.enabled) return;
    this.run = run ?? null;
    this.bar = new cliProgress.SingleBar(
      {
        format: `${label} {bar} {percentage}% | {value}/{total} batches | cost {cost} | ${run ? 'run ETA {runEta}' : 'ETA {eta_formatted}'}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stdout,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0, { cost: '…', runEta: '…' });
    this.lastUpdate = 0;
  }

  /** `done` mini-batches of this epoch; `cost`: the epoch's average training cost so far. */
  update(done: number, cost?: number): void {
    if (!this.bar) return;
    // cli-progress redraws at most `fps` times a second; calling it for every mini-batch
    // (5,000 an epoch) still costs time, so hand it a value at most every 50 batches.
    if (done - this.lastUpdate >= 50) {
      const payload: Record<string, string> = { cost: cost === undefined || !Number.isFinite(cost) ? '…' : cost.toFixed(4) };
      if (this.run) {
        const doneRun = this.run.doneBefore + done;
        const elapsed = (performance.now() - this.run.startedAt) / 1000;
        payload.runEta = duration((elapsed / doneRun) * (this.run.total - doneRun));
      }
      this.bar.update(done, payload);
      this.lastUpdate = done;
    }
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.stop();
    this.bar = null;
  }
}
