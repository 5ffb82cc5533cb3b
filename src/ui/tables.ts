/**
 * Tables for the terminal: aligned columns, the confusion matrix (coloured when colours are
 * on), per-digit precision and recall, the per-epoch history of a model, and the output
 * activations as a bar chart. Every function returns lines; the commands print them.
 */
import type { ChalkInstance } from 'chalk';
import type { ClassScore } from '../nn/metrics.js';
import type { EpochRecord } from '../train/train.js';
import { bar } from './draw.js';
import { pct } from './terminal.js';

/** Length of a string as shown (colour escapes do not count). */
export const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

const pad = (s: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'left' ? s + fill : fill + s;
};

export interface TableOptions {
  /** Per column; default: the first column left, the others right. */
  align?: ('left' | 'right')[];
  /** Spaces between columns (default 2). */
  gap?: number;
  /** Styles the header line (e.g. bold). */
  header?: (s: string) => string;
}

/** Lines of a table: the header, then one line per row, columns padded to their widest cell. */
export function table(head: string[], rows: string[][], options: TableOptions = {}): string[] {
  const gap = ' '.repeat(options.gap ?? 2);
  const align = head.map((_, i) => options.align?.[i] ?? (i === 0 ? 'left' : 'right'));
  // reduce, not Math.max(...rows): a table of 200,000 rows would overflow the stack
  const widths = head.map((h, i) => rows.reduce((w, r) => Math.max(w, visibleLength(r[i] ?? '')), visibleLength(h)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c ?? '', widths[i], align[i])).join(gap).replace(/\s+$/, '');
  const style = options.header ?? ((s: string) => s);
  return [style(line(head)), ...rows.map(line)];
}

/**
 * The confusion matrix, rows the true digit and columns the predicted one. With colours the
 * diagonal is green, the mistakes yellow, and red where a cell holds more than 2 % of its row.
 */
export function confusionLines(confusion: number[][], c: ChalkInstance): string[] {
  const n = confusion.length;
  const head = ['true\\pred', ...Array.from({ length: n }, (_, j) => String(j)), 'total'];
  const rows = confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((count, j) => {
      const s = String(count);
      if (i === j) return c.green(s);
      if (count === 0) return c.dim(s);
      return count > 0.02 * total ? c.red.bold(s) : c.yellow(s);
    });
    return [String(i), ...cells, c.dim(String(total))];
  });
  return table(head, rows, { header: c.bold });
}

/** Precision and recall of every digit, and how many images it has. */
export function classScoreLines(scores: ClassScore[], c: ChalkInstance): string[] {
  const rows = scores.map((s) => [String(s.digit), pct(s.precision), pct(s.recall), String(s.support)]);
  return table(['digit', 'precision', 'recall', 'images'], rows, { header: c.bold });
}

export interface BarOptions {
  /** The class the network chose (highlighted). */
  predicted: number;
  /** The true class, when known. */
  label?: number;
  /** Cells of the longest bar (activation 1). */
  width?: number;
}

/**
 * The output activations, one line per class: the class, a^L_j, and a bar as long as a^L_j
 * (activations in [0, 1]: sigmoid and softmax outputs). The predicted class is marked; when
 * the true class is given and differs, it is marked too.
 */
export function activationBars(outputs: ArrayLike<number>, options: BarOptions, c: ChalkInstance): string[] {
  const width = options.width ?? 30;
  const lines: string[] = [];
  const right = options.label === undefined || options.label === options.predicted;
  for (let j = 0; j < outputs.length; j++) {
    const a = outputs[j];
    let line = `${j} ${a.toFixed(3)} `;
    const b = bar(a, width);
    if (j === options.predicted) line += (right ? c.green(b) : c.red(b)) + ' ← predicted';
    else if (j === options.label) line += c.cyan(b) + ' ← true';
    else line += c.dim(b);
    lines.push(line.replace(/\s+$/, ''));
  }
  return lines;
}

/** The per-epoch history of a model: η, the training cost, and the accuracies measured. */
export function historyLines(history: EpochRecord[], c: ChalkInstance): string[] {
  const hasTrain = history.some((r) => r.trainAccuracy !== undefined);
  const hasValidation = history.some((r) => r.validation);
  const hasTest = history.some((r) => r.test);
  const head = ['epoch', 'η', 'cost', ...(hasTrain ? ['train'] : []), ...(hasValidation ? ['validation'] : []), ...(hasTest ? ['test'] : []), 'seconds'];
  const rows = history.map((r) => [
    String(r.epoch),
    String(r.eta),
    r.trainCost.toFixed(4),
    ...(hasTrain ? [r.trainAccuracy === undefined ? '' : pct(r.trainAccuracy)] : []),
    ...(hasValidation ? [r.validation ? pct(r.validation.accuracy) : ''] : []),
    ...(hasTest ? [r.test ? pct(r.test.accuracy) : ''] : []),
    (r.trainSeconds + r.evalSeconds).toFixed(2),
  ]);
  return table(head, rows, { header: c.bold });
}
