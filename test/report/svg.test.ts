import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { confusionHeatMap, escapeXml, lineChart, niceTicks } from '../../src/report/svg.js';
import { expectedAt, readChart } from './read-svg.js';

describe('niceTicks', () => {
  it('covers the range with 2 to 11 evenly spaced round ticks (1, 2 or 5 × 10^k)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 1e-4, max: 1e4, noNaN: true }), (lo, span) => {
        const hi = lo + span;
        const t = niceTicks(lo, hi, 5);
        expect(t.length).toBeGreaterThanOrEqual(2);
        expect(t.length).toBeLessThanOrEqual(11);
        const step = t[1] - t[0];
        expect(t[0]).toBeLessThanOrEqual(lo + step * 1e-6);
        expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi - step * 1e-6);
        for (let i = 1; i < t.length; i++) expect(Math.abs(t[i] - t[i - 1] - step)).toBeLessThan(step * 1e-4);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
        expect([1, 2, 5, 10].some((f) => Math.abs(mantissa - f) < 1e-4)).toBe(true);
      }),
    );
  });

  it('gives whole numbers when asked, and pads a single value', () => {
    expect(niceTicks(1, 30, 8, true)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(niceTicks(1, 3, 8, true)).toEqual([1, 2, 3]);
    expect(niceTicks(0.9, 0.9).length).toBeGreaterThanOrEqual(2);
  });
});

describe('lineChart', () => {
  const chart = lineChart({
    title: 'Accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yFormat: (v) => `${Math.round(v * 100)}%`,
    yClamp: [0, 1],
    series: [
      { name: 'test', colour: '#0072B2', points: [[1, 0.62], [2, 0.81], [3, 0.87], [4, 0.9]] },
      { name: 'validation', colour: '#009E73', dash: '7 4', points: [[1, 0.6], [2, 0.79], [3, 0.88], [4, 0.91]] },
    ],
  });
  const c = readChart(chart);

  it('draws one point per x at its coordinates, for each series', () => {
    expect([...c.series.keys()]).toEqual(['test', 'validation']);
    expect(c.xDomain).toEqual([1, 4]);
    expect(c.yDomain[0]).toBeLessThanOrEqual(0.6);
    expect(c.yDomain[1]).toBeGreaterThanOrEqual(0.91);
    expect(c.yDomain[1]).toBeLessThanOrEqual(1);
    const want = { test: [0.62, 0.81, 0.87, 0.9], validation: [0.6, 0.79, 0.88, 0.91] };
    for (const [name, values] of Object.entries(want)) {
      const got = c.series.get(name)!;
      expect(got).toHaveLength(4);
      values.forEach((v, i) => {
        const [x, y] = expectedAt(c, i + 1, v);
        expect(got[i][0]).toBeCloseTo(x, 1);
        expect(got[i][1]).toBeCloseTo(y, 1);
      });
    }
    // The first and last epochs sit on the frame's left and right edges.
    expect(c.series.get('test')![0][0]).toBeCloseTo(c.frame.x, 1);
    expect(c.series.get('test')![3][0]).toBeCloseTo(c.frame.x + c.frame.width, 1);
    // One dot with a tooltip per point.
    expect(chart.match(/<circle /g)).toHaveLength(8);
    expect(chart).toContain('<title>epoch 3: validation 88%</title>');
  });

  it('labels its axes, and each tick label sits where its value is drawn', () => {
    expect(chart).toMatch(/class="axis-label"[^>]*>epoch</);
    expect(chart).toMatch(/class="axis-label"[^>]*>accuracy</);
    expect(c.xTicks.map(([, t]) => t)).toEqual(['1', '2', '3', '4']);
    for (const [x, t] of c.xTicks) expect(x).toBeCloseTo(expectedAt(c, Number(t), 0)[0], 1);
    expect(c.yTicks.length).toBeGreaterThanOrEqual(3);
    for (const [y, t] of c.yTicks) expect(y).toBeCloseTo(expectedAt(c, 1, Number(t.replace('%', '')) / 100)[1], 1);
    // Legend: both names.
    expect(chart).toMatch(/class="legend"[\s\S]*>test<[\s\S]*>validation</);
  });

  it('puts a single epoch in the middle, and escapes text', () => {
    const one = readChart(lineChart({ title: 'a <b>', xLabel: 'epoch', yLabel: 'cost', series: [{ name: 'train & co', colour: '#000', points: [[7, 0.3]] }] }));
    const [[x, y]] = one.series.get('train &amp; co')!;
    expect(x).toBeCloseTo(one.frame.x + one.frame.width / 2, 1);
    expect(y).toBeCloseTo(expectedAt(one, 7, 0.3)[1], 1);
    expect(lineChart({ title: 'a <b>', xLabel: 'x', yLabel: 'y', series: [{ name: 's', colour: '#000', points: [[1, 1]] }] })).toContain('aria-label="a &lt;b&gt;"');
    expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toBe('');
  });
});

describe('confusionHeatMap', () => {
  it('one cell per (true, predicted) pair carrying its count, written in the cell', () => {
    const m = [
      [50, 2, 0],
      [7, 40, 3],
      [0, 1, 47],
    ];
    const svg = confusionHeatMap(m);
    const rects = [...svg.matchAll(/data-true="(\d+)" data-predicted="(\d+)" data-count="(\d+)"/g)].map((x) => x.slice(1).map(Number));
    expect(rects).toHaveLength(9);
    for (const [i, j, n] of rects) expect(n).toBe(m[i][j]);
    expect(rects.reduce((s, r) => s + r[2], 0)).toBe(150);
    // The largest mistake is the strongest red; an empty cell has no number.
    const fill = (i: number, j: number) => new RegExp(`fill="([^"]*)" data-true="${i}" data-predicted="${j}"`).exec(svg)![1];
    expect(fill(1, 0)).toBe('rgb(200,40,30)');
    expect(fill(0, 2)).toBe('#fafafa');
    expect(svg).toContain('<title>true 1, predicted 0: 7 images</title>');
    expect(svg).toMatch(/>predicted</);
    expect(svg).toMatch(/>true label</);
  });

  it('escapes what it writes', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
});
