/** The report of a conv model: its first conv layer's filters and feature maps (report/filters.ts in report/html.ts). */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { gatherImage, makeDigitSet } from '../../src/data/dataset.js';
import type { LayeredModel } from '../../src/model/model.js';
import { evaluateDetailed } from '../../src/nn/metrics.js';
import { createLayered, createLayeredWorkspace, feedforwardLayered, type LayerSpec } from '../../src/nn/layered.js';
import { Random } from '../../src/nn/random.js';
import { activationColour, filterScale, firstConvMaps, mapScale } from '../../src/report/filters.js';
import { renderReport, REPORT_WORST } from '../../src/report/html.js';
import { diverging } from '../../src/report/png.js';
import { randomImages, sampleMeta } from '../helpers.js';
import { checkHtml, externalReferences } from './html-check.js';

const decode = (uri: string) => PNG.sync.read(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
const between = (html: string, id: string) => {
  const start = html.indexOf(`<section id="${id}">`);
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
};
/** The colour of pixel (r, c) of a decoded PNG. */
const rgb = (png: PNG, r: number, c: number) => Array.from(png.data.subarray((r * png.width + c) * 4, (r * png.width + c) * 4 + 3));

// 8×8 images: conv 3 filters of 3×3 → 3×6×6, pool 2 → 3×3×3, dropout, dense 10 softmax
const { images, labels } = randomImages(30, 8, 8, 10, 21);
const set = makeDigitSet('eight', images, labels, 8, 8);

function convModel(activation: 'tanh' | 'sigmoid' | 'relu', layers?: LayerSpec[]): LayeredModel {
  const net = createLayered(
    {
      input: { channels: 1, height: 8, width: 8 },
      layers: layers ?? [{ kind: 'conv', filters: 3, size: 3, activation }, { kind: 'pool', size: 2 }, { kind: 'dropout', p: 0.5 }, { kind: 'dense', units: 10, activation: 'softmax' }],
      cost: 'cross-entropy',
    },
    new Random(3),
  );
  // filter 0 a known ramp: w(p, q) = 3p + q − 4, from −4 to +4
  for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) net.W[0][p * 3 + q] = 3 * p + q - 4;
  const meta = sampleMeta({ activation, output: 'softmax', options: { ...sampleMeta().options, shift: 1, elastic: { alpha: 34, sigma: 4 } } as never });
  return { net, meta };
}

function report(model: LayeredModel, mapsOf?: number): string {
  return renderReport(model, evaluateDetailed(model.net, set, REPORT_WORST), set, { modelPath: 'conv.json', mapsOf });
}

describe('the report of a conv model', () => {
  it('is valid, self-contained HTML with the layer list, the augmentation, and a filters section instead of the MLP weights', () => {
    const html = report(convModel('tanh'));
    expect(checkHtml(html).problems).toEqual([]);
    expect(externalReferences(html)).toEqual([]);
    for (const id of ['setup', 'curves', 'confusion', 'mistakes', 'filters']) expect(html).toContain(`<a href="#${id}">`);
    expect(html).not.toContain('<section id="weights">');
    expect(html).toContain('layers conv:3x3:tanh,pool:2,dropout:0.5,dense:10:softmax, cross-entropy cost');
    const setup = between(html, 'setup');
    expect(setup).toContain('<div>input 1×8×8</div><div>conv 3 × 3×3, tanh → 3×6×6</div><div>max-pool 2×2 → 3×3×3</div><div>dropout 0.5 → 3×3×3</div><div>dense 10, softmax → 10</div>');
    expect(setup).toMatch(/<th scope="row">parameters<\/th><td>310<\/td>/); // 27 + 3 + 27·10 + 10
    expect(setup).toMatch(/<th scope="row">random shifts<\/th><td>up to 1 pixel<\/td>/);
    expect(setup).toMatch(/<th scope="row">elastic distortions<\/th><td>α 34, σ 4 pixels<\/td>/);
    const cells = [...html.matchAll(/data-count="(\d+)"/g)].reduce((s, c) => s + Number(c[1]), 0);
    expect(cells).toBe(30);
  });

  it('draws one image per filter whose pixels follow the weights: w / max|w| in the diverging palette, each weight a square', () => {
    const model = convModel('tanh');
    const filters = [...between(report(model), 'filters').matchAll(/<img class="filter-w" src="([^"]+)"[^>]*alt="filter (\d+) of conv layer 1"/g)];
    expect(filters.map((m) => Number(m[2]))).toEqual([0, 1, 2]);
    const s = filterScale(3);
    expect(s).toBe(20);
    // filter 0 is the ramp −4 … 4: its corners are full red and full blue, its centre white
    const ramp = decode(filters[0][1]);
    expect([ramp.width, ramp.height]).toEqual([60, 60]);
    expect(rgb(ramp, 0, 0)).toEqual([178, 24, 43]);
    expect(rgb(ramp, 59, 59)).toEqual([33, 102, 172]);
    expect(rgb(ramp, 30, 30)).toEqual([255, 255, 255]);
    for (let f = 0; f < 3; f++) {
      const png = decode(filters[f][1]);
      const w = model.net.W[0].subarray(f * 9, f * 9 + 9);
      const max = Math.max(...Array.from(w, Math.abs));
      for (let p = 0; p < 3; p++) {
        for (let q = 0; q < 3; q++) {
          const want = diverging(w[p * 3 + q] / max);
          for (const [dy, dx] of [[0, 0], [s - 1, s - 1], [7, 13]]) expect(rgb(png, p * s + dy, q * s + dx)).toEqual(want);
        }
      }
    }
  });

  it('the feature maps are feedforwardLayered\'s activations after the conv layer and after its pool, drawn pixel for pixel', () => {
    for (const activation of ['tanh', 'sigmoid', 'relu'] as const) {
      const model = convModel(activation);
      const { net } = model;
      const index = 4;
      const ws = createLayeredWorkspace(net, 1);
      gatherImage(set, index, ws.a[0], 0);
      feedforwardLayered(net, ws, 1, null);
      const maps = firstConvMaps(net, set, index)!;
      expect(Array.from(maps.maps)).toEqual(Array.from(ws.a[1]));
      expect(maps.pool!.layer).toBe(1);
      expect(Array.from(maps.pool!.maps)).toEqual(Array.from(ws.a[2]));
      // and one activation by hand: filter 0 (the ramp) at (2, 3): σ(b + Σ w(p, q) · pixel(2 + p, 3 + q))
      let z = net.b[0][0];
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) z += (3 * p + q - 4) * (set.images[index * 64 + (2 + p) * 8 + 3 + q] / 255);
      const a = activation === 'tanh' ? Math.tanh(z) : activation === 'relu' ? Math.max(0, z) : 1 / (1 + Math.exp(-z));
      expect(maps.maps[2 * 6 + 3]).toBeCloseTo(a, 12);

      const html = between(report(model, index), 'filters');
      expect(html).toContain(`<figure class="digit" data-index="${index}" data-label="${set.labels[index]}">`);
      const max = Math.max(...maps.maps);
      const colour = activationColour(activation, max);
      for (const [cls, values, side] of [['filter-map', maps.maps, 6], ['filter-pool', maps.pool!.maps, 3]] as const) {
        const imgs = [...html.matchAll(new RegExp(`<img class="${cls}" src="([^"]+)"`, 'g'))].map((m) => decode(m[1]));
        expect(imgs).toHaveLength(3);
        const s = mapScale(side);
        for (let f = 0; f < 3; f++) {
          expect(imgs[f].width).toBe(side * s);
          for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) expect(rgb(imgs[f], i * s + s - 1, j * s)).toEqual(colour(values[(f * side + i) * side + j]));
        }
      }
    }
  });

  it('the colours of the activations: sigmoid and relu as ink (relu up to the layer\'s largest), tanh diverging', () => {
    expect(activationColour('sigmoid', 99)(1)).toEqual([0, 0, 0]);
    expect(activationColour('sigmoid', 99)(0)).toEqual([255, 255, 255]);
    expect(activationColour('relu', 4)(2)).toEqual([127, 127, 127]);
    expect(activationColour('relu', 4)(4)).toEqual([0, 0, 0]);
    expect(activationColour('tanh', 1)(-1)).toEqual([178, 24, 43]);
    expect(activationColour('tanh', 1)(0)).toEqual([255, 255, 255]);
  });

  it('without a pool after the conv layer: conv maps only; without a conv layer: the first dense layer\'s weights as images', () => {
    const noPool = convModel('sigmoid', [{ kind: 'conv', filters: 2, size: 3, activation: 'sigmoid' }, { kind: 'dense', units: 10, activation: 'softmax' }]);
    const html = between(report(noPool), 'filters');
    expect(html.match(/<img class="filter-map"/g)).toHaveLength(2);
    expect(html).not.toContain('filter-pool');
    const dense = convModel('sigmoid', [{ kind: 'dropout', p: 0.2 }, { kind: 'dense', units: 5, activation: 'tanh' }, { kind: 'dense', units: 10, activation: 'softmax' }]);
    const page = report(dense);
    expect(page).not.toContain('<section id="filters">');
    const weights = [...between(page, 'weights').matchAll(/<img src="([^"]+)"[^>]*alt="first-layer weights of neuron (\d+)"/g)];
    expect(weights).toHaveLength(5);
    // W of layer 1 is input-major (k·5 + j): neuron 2's largest |w| is full red or blue at its pixel
    const W = dense.net.W[1];
    let kMax = 0;
    for (let k = 0; k < 64; k++) if (Math.abs(W[k * 5 + 2]) > Math.abs(W[kMax * 5 + 2])) kMax = k;
    expect(rgb(decode(weights[2][1]), Math.floor(kMax / 8), kMax % 8)).toEqual(W[kMax * 5 + 2] > 0 ? [33, 102, 172] : [178, 24, 43]);
  });
});
