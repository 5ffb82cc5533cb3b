/**
 * The report as a reader sees it, in headless Chromium (skipped, saying so, without it): every
 * count in the confusion matrix is legible on its cell (WCAG contrast of the colours the browser
 * computes, CSS included), and the precision/recall bars are drawn on a scale where their
 * differences show.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateDetailed, type Evaluation } from '../../src/nn/metrics.js';
import { barScaleMin, renderReport, REPORT_WORST } from '../../src/report/html.js';
import { tempDir } from '../helpers.js';
import { mnistModel } from './fixtures.js';

const CHROMIUM = process.env.CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const SKIP = 'SKIPPED: Chromium is not installed (apt-get install chromium, or set CHROMIUM=/path/to/chrome)';
if (!CHROMIUM) console.warn(`test/report/legibility.test.ts: ${SKIP}`);

const PROBE = `<script id="__probe_script">
addEventListener('load', () => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const cells = [...document.querySelectorAll('svg .cell')].filter((g) => g.querySelector('text')).map((g) => ({
    diagonal: g.classList.contains('right'),
    text: rgb(getComputedStyle(g.querySelector('text')).fill),
    rect: rgb(getComputedStyle(g.querySelector('rect')).fill),
  }));
  const bars = [...document.querySelectorAll('table.scores .bar > span')].map((s) => s.getBoundingClientRect().width / s.parentElement.getBoundingClientRect().width);
  const pre = document.createElement('pre');
  pre.id = '__probe';
  pre.textContent = JSON.stringify({ cells, bars });
  document.body.append(pre);
});
</script>`;

/** WCAG 2 contrast ratio of two sRGB colours (0–255 channels). */
function contrast(a: number[], b: number[]): number {
  const lum = (c: number[]) => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function probe(html: string): { cells: { diagonal: boolean; text: number[]; rect: number[] }[]; bars: number[] } {
  const file = join(tempDir(), 'report.html');
  writeFileSync(file, html.replace('<head>', `<head>\n${PROBE}`));
  const r = spawnSync(
    CHROMIUM!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'digit-train-chromium-'))}`, '--window-size=1200,900', '--virtual-time-budget=5000', '--dump-dom', pathToFileURL(file).href],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 },
  );
  const m = /<pre id="__probe">([^<]*)<\/pre>/.exec(r.stdout ?? '');
  if (!m) throw new Error(`Chromium gave no probe result (status ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  return JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

describe('precision/recall bar scale', () => {
  it('starts 10 points below the lowest value, rounded down to 10 %', () => {
    expect(barScaleMin([0.92, 0.98, 0.95])).toBeCloseTo(0.8, 12);
    expect(barScaleMin([0.9, 0.99])).toBeCloseTo(0.8, 12);
    expect(barScaleMin([0.35, 1])).toBeCloseTo(0.2, 12);
    expect(barScaleMin([0.05, 0.5])).toBe(0);
    expect(barScaleMin([])).toBe(0);
  });
});

describe.skipIf(!CHROMIUM)('the report as drawn by headless Chromium', () => {
  let html: string;
  let ev: Evaluation;
  beforeAll(() => {
    const { model, data } = mnistModel();
    ev = evaluateDetailed(model.net, data.test, REPORT_WORST);
    html = renderReport(model, ev, data.test, { modelPath: 'model.json' });
  });

  it(CHROMIUM ? 'every count in the confusion matrix has contrast ≥ 4.5 with its cell, the dark diagonal included' : SKIP, () => {
    const { cells, bars } = probe(html);
    expect(cells.filter((c) => c.diagonal).length).toBe(10);
    const worst = Math.min(...cells.map((c) => contrast(c.text, c.rect)));
    expect(worst).toBeGreaterThanOrEqual(4.5);
    for (const c of cells.filter((x) => x.diagonal)) expect(contrast(c.text, c.rect)).toBeGreaterThanOrEqual(4.5);

    // Bars: drawn as (v − min) / (1 − min) of their track, so their spread is the values' spread magnified.
    const values = ev.perClass.flatMap((c) => [c.precision, c.recall]);
    const lo = barScaleMin(values);
    expect(lo).toBeGreaterThan(0);
    expect(bars).toHaveLength(20);
    bars.forEach((w, i) => expect(w).toBeCloseTo((values[i] - lo) / (1 - lo), 1));
    const spreadOfValues = Math.max(...values) - Math.min(...values);
    expect(Math.max(...bars) - Math.min(...bars)).toBeCloseTo(spreadOfValues / (1 - lo), 2);
    expect(Math.max(...bars) - Math.min(...bars)).toBeGreaterThan(1.5 * spreadOfValues);
    expect(html).toContain(`The bars run from ${Math.round(100 * lo)}% (empty) to 100% (full)`);
  }, 40_000);
});
