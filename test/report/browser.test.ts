/**
 * The report in a real browser: headless Chromium (Debian's `chromium` package) loads it from a
 * file, and a probe script, added to a copy of the page for the test only, records every error
 * (script errors, resources that fail to load, console errors and warnings), checks that each
 * image decoded, that the page does not overflow its width, and counts the elements the browser
 * built, which must be the elements the text holds (nothing re-parented or dropped).
 * Skipped, saying so, when Chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateDetailed } from '../../src/nn/metrics.js';
import { renderReport, REPORT_WORST } from '../../src/report/html.js';
import { CHROMIUM, SKIP } from '../chromium.js';
import { tempDir } from '../helpers.js';
import { mnistModel } from './fixtures.js';
import { checkHtml } from './html-check.js';

if (!CHROMIUM) console.warn(`test/report/browser.test.ts: ${SKIP}`);

const PROBE = `<script id="__probe_script">
(() => {
  const errors = [];
  addEventListener('error', (e) => errors.push(e.message || 'failed to load ' + ((e.target && (e.target.alt || e.target.localName)) || '?')), true);
  addEventListener('unhandledrejection', (e) => errors.push('unhandled rejection: ' + e.reason));
  for (const k of ['error', 'warn']) {
    const f = console[k];
    console[k] = (...a) => { errors.push(k + ': ' + a.join(' ')); f.apply(console, a); };
  }
  addEventListener('load', () => {
    const counts = {};
    for (const el of document.querySelectorAll('*')) {
      if (el.id === '__probe_script') continue;
      const name = el.namespaceURI === 'http://www.w3.org/2000/svg' && el.localName !== 'svg' ? 'svg:' + el.localName : el.localName;
      counts[name] = (counts[name] || 0) + 1;
    }
    const images = [...document.images];
    const svgs = [...document.querySelectorAll('svg')].map((s) => s.getBoundingClientRect()).map((r) => [Math.round(r.width), Math.round(r.height)]);
    const pre = document.createElement('pre');
    pre.id = '__probe';
    pre.textContent = JSON.stringify({
      errors,
      counts,
      images: images.length,
      broken: images.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.alt),
      naturalWidths: [...new Set(images.map((i) => i.naturalWidth))],
      svgs,
      overflow: document.documentElement.scrollWidth - innerWidth,
    });
    document.body.append(pre);
  });
})();
</script>`;

interface Probe {
  errors: string[];
  counts: Record<string, number>;
  images: number;
  broken: string[];
  naturalWidths: number[];
  svgs: [number, number][];
  overflow: number;
}

/** Loads `html` (with the probe) in headless Chromium; returns the probe's findings and the browser's console lines. */
function inChromium(html: string): { probe: Probe; console: string[] } {
  const file = join(tempDir(), 'report.html');
  writeFileSync(file, html.replace('<head>', `<head>\n${PROBE}`));
  const r = spawnSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-logging=stderr',
      '--v=0',
      `--user-data-dir=${mkdtempSync(join(tmpdir(), 'digit-train-chromium-'))}`,
      '--window-size=1200,900',
      '--virtual-time-budget=5000',
      '--dump-dom',
      pathToFileURL(file).href,
    ],
    { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 },
  );
  const m = /<pre id="__probe">([^<]*)<\/pre>/.exec(r.stdout ?? '');
  if (!m) throw new Error(`Chromium gave no probe result (status ${r.status}): ${(r.stderr ?? '').slice(-2000)}`);
  const text = m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0').replace(/&amp;/g, '&');
  return { probe: JSON.parse(text) as Probe, console: (r.stderr ?? '').split('\n').filter((l) => /:CONSOLE[:(]/.test(l)) };
}

describe.skipIf(!CHROMIUM)('the report in headless Chromium', () => {
  let html: string;
  beforeAll(() => {
    const { model, data } = mnistModel();
    html = renderReport(model, evaluateDetailed(model.net, data.test, REPORT_WORST), data.test, { modelPath: 'model.json' });
  });

  it(CHROMIUM ? 'loads without console errors; every image decodes; the DOM is the document we wrote' : SKIP, () => {
    const { probe, console: lines } = inChromium(html);
    expect(probe.errors).toEqual([]);
    expect(lines).toEqual([]);
    expect(probe.images).toBe(24 + 16);
    expect(probe.broken).toEqual([]);
    expect(probe.naturalWidths).toEqual([28]);
    // Charts and heat map laid out with a real size, and nothing wider than the window.
    expect(probe.svgs).toHaveLength(3);
    for (const [w, h] of probe.svgs) {
      expect(w).toBeGreaterThan(200);
      expect(h).toBeGreaterThan(200);
    }
    expect(probe.overflow).toBeLessThanOrEqual(0);
    // The browser built exactly the elements of the text, so none was implied, moved or lost.
    const ours = checkHtml(html).counts;
    const theirs = { ...probe.counts };
    delete theirs.pre; // the probe's own
    expect(theirs).toEqual(ours);
  }, 40_000);

  it(CHROMIUM ? 'the probe does see errors (a broken image, a console error)' : SKIP, () => {
    const broken = html.replace('</body>', '<img src="data:image/png;base64,AAAA" alt="broken one"><script>console.error("boom")</script>\n</body>');
    const { probe, console: lines } = inChromium(broken);
    expect(probe.errors).toEqual(expect.arrayContaining(['error: boom', 'failed to load broken one']));
    expect(probe.broken).toEqual(['broken one']);
    expect(lines.some((l) => l.includes('"boom"'))).toBe(true);
  }, 40_000);
});
