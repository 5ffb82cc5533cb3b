import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { EpochRecord } from '../../src/train/train.js';
import { renderTrainingChart } from '../../src/ui/chart.js';

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function record(epoch: number, cost: number, test?: number, validation?: number, train?: number): EpochRecord {
  const score = (a: number) => ({ correct: Math.round(a * 1000), count: 1000, accuracy: a, cost: 1 - a });
  return {
    epoch,
    trainCost: cost,
    eta: 3,
    trainSeconds: 1,
    evalSeconds: 0.1,
    ...(test !== undefined ? { test: score(test) } : {}),
    ...(validation !== undefined ? { validation: score(validation) } : {}),
    ...(train !== undefined ? { trainAccuracy: train } : {}),
  };
}

/** cost falls 0.5 → 0.1, test accuracy rises 0.6 → 0.9 over 5 epochs. */
const rising = [0, 1, 2, 3, 4].map((i) => record(i + 1, 0.5 - 0.1 * i, 0.6 + 0.075 * i));

/** The rows of a panel's plot area: the lines after its title up to the next title or the axis. */
function panel(lines: string[], title: string): { rows: string[]; gutter: number } {
  const start = lines.findIndex((l) => new RegExp(`^ *${title}\\b`).test(strip(l)));
  expect(start).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (let i = start + 1; i < lines.length && /[|+┤│]/.test(strip(lines[i]).slice(0, 12)) && !/^ *[+└][-─]/.test(strip(lines[i])); i++) rows.push(strip(lines[i]));
  const gutter = rows[0].search(/[|+┤│]/) + 1;
  return { rows, gutter };
}

/** [row, column in the plot] of every cell holding `ch`. */
function cells(p: { rows: string[]; gutter: number }, ch: string): [number, number][] {
  const out: [number, number][] = [];
  p.rows.forEach((r, y) => [...r.slice(p.gutter)].forEach((c, x) => c === ch && out.push([y, x])));
  return out;
}

describe('renderTrainingChart (terminal chart of a run)', () => {
  it('without colour: plain ASCII, no escapes, never wider than asked', () => {
    for (const width of [48, 60, 80, 100]) {
      const lines = renderTrainingChart(rising, width, false);
      expect(lines.length).toBeGreaterThan(10);
      for (const l of lines) {
        expect(l).toMatch(/^[\x20-\x7e]*$/);
        expect(l.length).toBeLessThanOrEqual(width);
      }
      // The epoch axis spans the full width.
      expect(lines.find((l) => /^ *\+-+/.test(l))!.length).toBe(width);
    }
  });

  it('scales to the terminal width, up to maxWidth', () => {
    const axis = (w: number, max?: number) => renderTrainingChart(rising, w, false, max ? { maxWidth: max } : {}).find((l) => /^ *\+-+/.test(l))!.length;
    expect(axis(60)).toBe(60);
    expect(axis(90)).toBe(90);
    expect(axis(200)).toBe(100);
    expect(axis(200, 160)).toBe(160);
    expect(axis(10)).toBe(48); // too narrow: the smallest chart that still reads
  });

  it('puts each epoch at its place: falling cost from top-left to bottom-right, rising accuracy from bottom-left to top-right', () => {
    const lines = renderTrainingChart(rising, 70, false, { height: 5 });
    const cost = panel(lines, 'cost');
    const acc = panel(lines, 'accuracy');
    expect(cost.rows).toHaveLength(5);
    expect(acc.rows).toHaveLength(5);
    const plotWidth = 70 - cost.gutter;
    const c = cells(cost, '*');
    const a = cells(acc, '*');
    // Epoch 1 in the first column, epoch 5 in the last; 5 epochs over 5 rows: one row per epoch.
    for (let i = 0; i < 5; i++) {
      const col = Math.round((i * (plotWidth - 1)) / 4);
      expect(c).toContainEqual([i, col]);
      expect(a).toContainEqual([4 - i, col]);
    }
    // The line is continuous: every column of the plot has a cell of it.
    expect(new Set(c.map(([, x]) => x)).size).toBe(plotWidth);
    // Labels: the range of each panel at its top and bottom rows.
    expect(cost.rows[0]).toMatch(/^0\.5000 \+\*/);
    expect(cost.rows[4]).toMatch(/^0\.1000 \+/);
    expect(acc.rows[0]).toMatch(/^90\.00% \+/);
    expect(acc.rows[4]).toMatch(/^60\.00% \+\*/);
    // The epoch axis: 1 under the first column, 5 under the last.
    const labels = lines[lines.length - 1];
    expect(labels.startsWith(' epoch')).toBe(true);
    expect(labels[cost.gutter]).toBe('1');
    expect(labels[cost.gutter + plotWidth - 1]).toBe('5');
  });

  it('draws validation and train accuracy when the run measured them, and says which is which', () => {
    const h = [1, 2, 3].map((e) => record(e, 0.3 / e, 0.8 + e / 100, 0.7 + e / 100, 0.9));
    const lines = renderTrainingChart(h, 60, false);
    const legend = lines.find((l) => /accuracy/.test(l))!;
    expect(legend).toMatch(/\+ train {2}o validation {2}\* test/);
    const acc = panel(lines, 'accuracy');
    expect(cells(acc, 'o').length).toBeGreaterThan(0);
    expect(cells(acc, '+').length).toBeGreaterThan(0);
    // validation (lowest) along the bottom row, train (highest, flat) along the top.
    expect(cells(acc, 'o').every(([y]) => y >= acc.rows.length - 2)).toBe(true);
    expect(cells(acc, '+').every(([y]) => y === 0)).toBe(true);
    // Without validation, no o and no legend entry.
    const only = renderTrainingChart(rising, 60, false);
    expect(only.join('\n')).not.toMatch(/validation/);
    expect(cells(panel(only, 'accuracy'), 'o')).toHaveLength(0);
  });

  it('with colour: Braille dots in colour, the same width once the escapes are removed', () => {
    const c = new Chalk({ level: 1 });
    const lines = renderTrainingChart(rising, 72, c);
    const text = lines.join('\n');
    expect(text).toMatch(/\x1b\[3[23]m/); // yellow cost, green test
    expect(text).toMatch(/[\u2801-\u28ff]/);
    for (const l of lines.map(strip).filter((l) => /^[ 0-9.%]*[┤│]/.test(l))) expect(l.slice(8)).toMatch(/^[\u2800-\u28ff ]*$/);
    for (const l of lines) expect(strip(l).length).toBeLessThanOrEqual(72);
    expect(strip(lines.find((l) => strip(l).includes('└'))!).length).toBe(72);
    // `true` means basic colours; a chalk instance at level 0 means ASCII.
    expect(renderTrainingChart(rising, 72, true).join('')).toMatch(/\x1b\[/);
    expect(renderTrainingChart(rising, 72, new Chalk({ level: 0 }))).toEqual(renderTrainingChart(rising, 72, false));
  });

  it('handles no history, one epoch, a flat line and a long run', () => {
    expect(renderTrainingChart([], 80, false)).toEqual([]);
    const one = renderTrainingChart([record(1, 0.2, 0.9)], 60, false);
    expect(cells(panel(one, 'cost'), '*')).toHaveLength(1);
    expect(one.join('\n')).toMatch(/0\.2000 \+\*/);
    expect(one[one.length - 1]).toMatch(/^ *epoch {2}1$/);
    // A run without accuracy has only the cost panel.
    expect(renderTrainingChart([record(1, 0.2), record(2, 0.1)], 60, false).join('\n')).not.toMatch(/accuracy/);
    const flat = renderTrainingChart([1, 2, 3].map((e) => record(e, 0.25, 0.5)), 60, false, { height: 5 });
    const flatCost = panel(flat, 'cost');
    expect(cells(flatCost, '*').every(([y]) => y === 2)).toBe(true);
    expect(flatCost.rows[2]).toMatch(/^0\.2500 \+/);
    // 300 epochs in 80 columns: epoch labels never run into each other, the last is shown.
    const long = renderTrainingChart(Array.from({ length: 300 }, (_, i) => record(i + 1, 1 / (i + 1), i / 300)), 80, false);
    const labels = long[long.length - 1].trim().split(/ +/);
    expect(labels[0]).toBe('epoch');
    expect(labels[1]).toBe('1');
    expect(labels[labels.length - 1]).toBe('300');
    for (const l of long) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('skips epochs where a split was not measured instead of drawing zeros', () => {
    const h = [record(1, 0.4, 0.5), record(2, 0.3), record(3, 0.2, 0.9)];
    const acc = panel(renderTrainingChart(h, 60, false, { height: 4 }), 'accuracy');
    const pts = cells(acc, '*');
    expect(Math.max(...pts.map(([y]) => y))).toBe(3);
    expect(Math.min(...pts.map(([y]) => y))).toBe(0);
    expect(acc.rows[3]).toMatch(/^50\.00%/);
  });
});
