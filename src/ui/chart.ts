/**
 * A small terminal chart of a training run: the training cost per epoch, and the accuracies
 * (test, validation, train when measured) per epoch, one panel each over a shared epoch axis.
 *
 * With colours the lines are drawn in Braille dots (2×4 dots per character cell), one colour
 * per series; without colours (not a TTY, NO_COLOR) in plain ASCII, one marker character per
 * series (`*` cost and test, `o` validation, `+` train), so logs and pipes stay readable.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { EpochRecord } from '../train/train.js';

export interface ChartOptions {
  /** Text rows of each panel's plot area (default 6). */
  height?: number;
  /** Widest chart in columns, however wide the terminal (default 100). */
  maxWidth?: number;
  /** Braille dots and box lines (true) or ASCII (false); default: Unicode exactly when `colour` has colours. */
  unicode?: boolean;
}

interface Series {
  name: string;
  /** ASCII marker. */
  marker: string;
  colour: (s: string) => string;
  /** [epoch, value] */
  points: [number, number][];
}

/** Bits of the Braille dots: BRAILLE[row][col] for the 2×4 dots of a cell (U+2800 + bits). */
const BRAILLE = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

const MIN_PLOT_WIDTH = 10;

/** Length of a line as shown (without colour escapes). */
const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Draws straight lines between consecutive points on a grid of dots (Bresenham). */
function plotLine(grid: Uint8Array, w: number, x0: number, y0: number, x1: number, y1: number): void {
  const dx = Math.abs(x1 - x0);
  const dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1;
  const sy = y0 < y1 ? 1 : -1;
  let err = dx + dy;
  for (;;) {
    grid[y0 * w + x0] = 1;
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x0 += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y0 += sy;
    }
  }
}

/** Epoch ticks for the x axis: the first and last epoch, and round numbers between that fit. */
function epochTicks(e0: number, e1: number, plotWidth: number): number[] {
  if (e0 === e1) return [e0];
  const span = e1 - e0;
  const maxTicks = Math.max(2, Math.floor(plotWidth / 8));
  // The smallest round step (1, 2, 2.5 or 5 × 10^k) that gives at most maxTicks ticks, however many epochs.
  let step = 1;
  for (let mag = 1; ; mag *= 10) {
    const fit = [1, 2, 2.5, 5].map((f) => f * mag).find((s) => Number.isInteger(s) && span / s <= maxTicks - 1);
    if (fit !== undefined || !Number.isFinite(mag)) {
      step = fit ?? span;
      break;
    }
  }
  const ticks = [e0];
  const first = Math.ceil((e0 + 1) / step) * step;
  // Counted, not stepped: t += step would never move for epochs beyond 2^53.
  for (let i = 0; i < maxTicks; i++) {
    const t = first + i * step;
    if (!(t < e1)) break;
    if (t > ticks[ticks.length - 1]) ticks.push(t);
  }
  ticks.push(e1);
  return ticks;
}

/**
 * The chart as lines of text, at most `width` columns wide (clamped to a sensible minimum and
 * to `maxWidth`). `colour`: a chalk instance (colour and Unicode when its level is above 0),
 * true (basic colours), or false (plain ASCII). No history: no lines.
 */
export function renderTrainingChart(history: EpochRecord[], width: number, colour: boolean | ChalkInstance, options: ChartOptions = {}): string[] {
  if (history.length === 0) return [];
  const c: ChalkInstance = typeof colour === 'boolean' ? new Chalk({ level: colour ? 1 : 0 }) : colour;
  let fancy = options.unicode ?? c.level > 0;
  const height = Math.max(2, options.height ?? 6);
  const columns = Math.max(48, Math.min(Math.floor(width) || 80, options.maxWidth ?? 100));

  const e0 = history[0].epoch;
  const e1 = history[history.length - 1].epoch;
  const pick = (f: (r: EpochRecord) => number | undefined): [number, number][] =>
    history.flatMap((r) => {
      const v = f(r);
      return v === undefined || !Number.isFinite(v) ? [] : [[r.epoch, v] as [number, number]];
    });
  const cost: Series[] = [{ name: 'training cost', marker: '*', colour: c.yellow, points: pick((r) => r.trainCost) }];
  const accuracy: Series[] = [
    { name: 'train', marker: '+', colour: c.magenta, points: pick((r) => r.trainAccuracy) },
    { name: 'validation', marker: 'o', colour: c.cyan, points: pick((r) => r.validation?.accuracy) },
    { name: 'test', marker: '*', colour: c.green, points: pick((r) => r.test?.accuracy) },
  ].filter((s) => s.points.length > 0);
  // Without colours, braille dots of two series could not be told apart: such a chart is ASCII.
  if (c.level === 0 && accuracy.length > 1) fancy = false;

  const fmtCost = (v: number) => (Math.abs(v) >= 100 ? v.toPrecision(4) : v.toFixed(4));
  const fmtAcc = (v: number) => `${(100 * v).toFixed(2)}%`;
  const panels: { title: string; series: Series[]; fmt: (v: number) => string }[] = [{ title: 'cost', series: cost, fmt: fmtCost }];
  if (accuracy.length) panels.push({ title: 'accuracy', series: accuracy, fmt: fmtAcc });

  // The y labels of every panel share one gutter width (at least 6, so that no line of the
  // chart starts with "epoch" as the per-epoch lines of training do), so the plots line up.
  const ranges = panels.map((p) => {
    const values = p.series.flatMap((s) => s.points.map(([, v]) => v));
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    } // a loop, not Math.min(...values): a history of 200,000 epochs would overflow the stack
    return { min, max };
  });
  const labelWidth = Math.max(6, ...panels.flatMap((p, i) => [p.fmt(ranges[i].min).length, p.fmt(ranges[i].max).length]));
  const plotWidth = Math.max(MIN_PLOT_WIDTH, columns - labelWidth - 2);
  const g = fancy ? { tick: '┤', line: '│', corner: '└', axis: '─', axisTick: '┬' } : { tick: '+', line: '|', corner: '+', axis: '-', axisTick: '+' };
  const sx = fancy ? 2 : 1;
  const sy = fancy ? 4 : 1;
  const dotsX = plotWidth * sx;
  const dotsY = height * sy;
  const xOf = (epoch: number) => (e1 === e0 ? 0 : Math.round(((epoch - e0) / (e1 - e0)) * (dotsX - 1)));

  const lines: string[] = [];
  panels.forEach((panel, pi) => {
    const { min, max } = ranges[pi];
    const yOf = (v: number) => (max === min ? Math.floor((dotsY - 1) / 2) : Math.round(((max - v) / (max - min)) * (dotsY - 1)));
    const legend = panel.series.map((s) => `${s.colour(fancy ? '⣿' : s.marker)} ${s.name}`).join('  ');
    const title = `${c.bold(panel.title)}  ${legend}`;
    lines.push(' '.repeat(Math.max(0, Math.min(labelWidth + 2, columns - visibleLength(title)))) + title);
    // Which series owns each cell (the last drawn wins), and its dots.
    const owner = new Int8Array(plotWidth * height).fill(-1);
    const bits = new Uint8Array(plotWidth * height);
    panel.series.forEach((s, si) => {
      const grid = new Uint8Array(dotsX * dotsY);
      const pts = s.points.map(([e, v]) => [xOf(e), yOf(v)]);
      if (pts.length === 1) grid[pts[0][1] * dotsX + pts[0][0]] = 1;
      for (let i = 1; i < pts.length; i++) plotLine(grid, dotsX, pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1]);
      for (let y = 0; y < dotsY; y++) {
        for (let x = 0; x < dotsX; x++) {
          if (!grid[y * dotsX + x]) continue;
          const cell = Math.floor(y / sy) * plotWidth + Math.floor(x / sx);
          owner[cell] = si;
          bits[cell] |= fancy ? BRAILLE[y % 4][x % 2] : 1;
        }
      }
    });
    for (let row = 0; row < height; row++) {
      let label = '';
      if (max === min) label = row === Math.floor(yOf(max) / sy) ? panel.fmt(max) : '';
      else if (row === 0) label = panel.fmt(max);
      else if (row === height - 1) label = panel.fmt(min);
      // Runs of cells of one series share one colour escape.
      let text = '';
      let run = '';
      let runOwner = -1;
      const flush = () => {
        text += runOwner < 0 ? run : panel.series[runOwner].colour(run);
        run = '';
      };
      for (let col = 0; col < plotWidth; col++) {
        const cell = row * plotWidth + col;
        const o = owner[cell];
        if (o !== runOwner) {
          flush();
          runOwner = o;
        }
        run += o < 0 ? ' ' : fancy ? String.fromCharCode(0x2800 + bits[cell]) : panel.series[o].marker;
      }
      if (runOwner >= 0) flush();
      lines.push(`${label.padStart(labelWidth)} ${c.dim(label ? g.tick : g.line)}${text.replace(/ +$/, '')}`);
    }
  });

  // The shared epoch axis.
  const ticks = epochTicks(e0, e1, plotWidth);
  const axis = Array.from({ length: plotWidth }, () => g.axis);
  const labels = Array.from({ length: plotWidth + 8 }, () => ' ');
  for (const t of ticks) {
    const col = Math.floor(xOf(t) / sx);
    if (fancy || col > 0) axis[col] = g.axisTick; // in ASCII the corner marks column 0
    const text = String(t);
    const at = Math.min(Math.max(0, col - Math.floor((text.length - 1) / 2)), plotWidth - text.length);
    // Skip a label that would touch the one before it (the last epoch's label wins).
    const clash = labels.slice(Math.max(0, at - 1), at + text.length + 1).some((ch) => ch !== ' ');
    if (clash && t !== e1) continue;
    if (clash) for (let i = Math.max(0, at - 1); i < plotWidth; i++) labels[i] = ' ';
    for (let i = 0; i < text.length; i++) labels[at + i] = text[i];
  }
  lines.push(`${' '.repeat(labelWidth)} ${c.dim(g.corner + axis.join(''))}`);
  lines.push(`${c.dim('epoch'.padStart(labelWidth))}  ${labels.join('').trimEnd()}`);
  return lines;
}
