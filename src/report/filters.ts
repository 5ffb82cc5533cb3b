/**
 * The report's section on a conv model (a layer list with a conv layer): the filters of its
 * first conv layer drawn as small images, and what they make of one digit, the feature maps
 * after that layer (a = σ(z)) and after the max-pool that follows it, if one does.
 *
 * The maps are the engine's own: feedforwardLayered on the one image, as in evaluation
 * (dropout the identity).
 */
import { gatherImage, type DigitSet } from '../data/dataset.js';
import type { Activation } from '../nn/functions.js';
import { createLayeredWorkspace, feedforwardLayered, type LayeredNetwork } from '../nn/layered.js';
import type { ConvShape, PoolShape } from '../nn/layout.js';
import { escapeXml as esc } from './svg.js';
import { digitPng, diverging, ink, pngDataUri, weightsPng } from './png.js';

/** The first conv layer of a layer list and its activations on one image. */
export interface FirstConvMaps {
  /** Its index in net.layers. */
  layer: number;
  shape: ConvShape;
  activation: Activation;
  /** a = σ(z) after the conv layer: one oh × ow map per filter, map after map (channel-major, as the engine lays them). */
  maps: Float64Array;
  /** The max-pool layer that follows it (dropout layers between skipped: the identity here), or null. */
  pool: { layer: number; shape: PoolShape; maps: Float64Array } | null;
}

/** The index of the first conv layer, or −1. */
export function firstConvLayer(net: LayeredNetwork): number {
  return net.layers.findIndex((s) => s.kind === 'conv');
}

/** Runs image `index` of `set` through `net` and returns the first conv layer's maps (and its pool's); null without a conv layer. */
export function firstConvMaps(net: LayeredNetwork, set: DigitSet, index: number): FirstConvMaps | null {
  const c = firstConvLayer(net);
  if (c < 0) return null;
  const ws = createLayeredWorkspace(net, 1);
  gatherImage(set, index, ws.a[0], 0);
  feedforwardLayered(net, ws, 1, null);
  const shape = net.layout.layers[c] as ConvShape;
  const spec = net.layers[c] as { activation: Activation };
  let p = c + 1;
  while (p < net.layers.length && net.layers[p].kind === 'dropout') p++;
  const pool = p < net.layers.length && net.layers[p].kind === 'pool' ? { layer: p, shape: net.layout.layers[p] as PoolShape, maps: Float64Array.from(ws.a[p + 1]) } : null;
  return { layer: c, shape, activation: spec.activation, maps: Float64Array.from(ws.a[c + 1]), pool };
}

/** The section's styles (added to the page's only when it has the section: an MLP's report stays as it was). */
export const FILTERS_CSS = `
.maps { gap: 20px; }
.maps > div { flex: 1 1 600px; }
.maps > figure { flex: 0 0 auto; text-align: center; }
.maps img { display: block; image-rendering: pixelated; image-rendering: crisp-edges; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.filter { display: flex; flex-direction: column; align-items: center; gap: 4px; }
.filter figcaption { font-size: 12px; }
`;

/** How many pixels of the PNG one filter weight gets: about 60 pixels across a filter. */
export const filterScale = (k: number) => Math.max(1, Math.round(60 / k));
/** How many pixels one activation gets: about 72 pixels across a map. */
export const mapScale = (side: number) => Math.max(1, Math.round(72 / side));

/**
 * The colour of an activation: sigmoid in [0, 1] as ink (white 0 … black 1), tanh in [−1, 1] in
 * the diverging palette, relu as ink from 0 to `max` (the largest activation of the layer's maps).
 */
export function activationColour(activation: Activation, max: number): (v: number) => [number, number, number] {
  if (activation === 'tanh') return (v) => diverging(v);
  if (activation === 'relu') return (v) => ink(max > 0 ? v / max : 0);
  return (v) => ink(v);
}

/** Filter f of conv layer `shape` drawn as an image: its C channels side by side, k × (C·k), each weight scaled by the filter's largest |w|. */
export function filterPng(W: Float64Array, shape: ConvShape, f: number): string {
  const k = shape.size;
  const C = shape.input.channels;
  const at = f * C * k * k;
  // image pixel (p, c·k + q) ← w[f][c][p][q]
  return weightsPng((i) => {
    const p = Math.floor(i / (C * k));
    const col = i % (C * k);
    return W[at + (Math.floor(col / k) * k + p) * k + (col % k)];
  }, k, C * k, filterScale(k));
}

/** The section's HTML: the filters, and their feature maps on image `index` of `set`. */
export function convFiltersSection(net: LayeredNetwork, set: DigitSet, index: number): string {
  const m = firstConvMaps(net, set, index);
  if (!m) return '<p class="note">This layer list has no conv layer.</p>';
  const { shape, pool } = m;
  const F = shape.filters;
  const k = shape.size;
  const { height: oh, width: ow } = shape.output;
  let max = 0;
  for (const v of m.maps) max = Math.max(max, v);
  const colour = activationColour(m.activation, max);
  const mapPng = (maps: Float64Array, h: number, w: number, f: number) => pngDataUri(h, w, (r, c) => colour(maps[(f * h + r) * w + c]), mapScale(Math.max(h, w)));
  const label = set.labels[index];
  const figures: string[] = [];
  for (let f = 0; f < F; f++) {
    const w = filterPng(net.W[m.layer], shape, f);
    const fs = filterScale(k);
    const ms = mapScale(Math.max(oh, ow));
    let imgs =
      `<img class="filter-w" src="${w}" width="${shape.input.channels * k * fs}" height="${k * fs}" alt="filter ${f} of conv layer ${m.layer + 1}">` +
      `<img class="filter-map" src="${mapPng(m.maps, oh, ow, f)}" width="${ow * ms}" height="${oh * ms}" alt="feature map of filter ${f} after conv layer ${m.layer + 1}">`;
    if (pool) {
      const { height: ph, width: pw } = pool.shape.output;
      const ps = mapScale(Math.max(ph, pw));
      imgs += `<img class="filter-pool" src="${mapPng(pool.maps, ph, pw, f)}" width="${pw * ps}" height="${ph * ps}" alt="feature map of filter ${f} after pool layer ${pool.layer + 1}">`;
    }
    figures.push(`<figure class="filter" data-filter="${f}">${imgs}<figcaption>filter ${f} · b ${net.b[m.layer][f].toPrecision(3)}</figcaption></figure>`);
  }
  const activation = m.activation === 'tanh' ? 'tanh activations from −1 (red) through 0 (white) to +1 (blue)' : m.activation === 'relu' ? `relu activations as ink from 0 (white) to the largest, ${max.toPrecision(3)} (black)` : 'sigmoid activations as ink from 0 (white) to 1 (black)';
  const poolText = pool ? `, then after the max-pool (layer ${pool.layer + 1}: ${pool.shape.size}×${pool.shape.size} windows, ${pool.shape.output.height}×${pool.shape.output.width})` : '';
  const digit = digitPng(set.images, index * set.inputSize, set.rows, set.cols);
  return (
    `<p class="note">The ${F} filters of the first conv layer (layer ${m.layer + 1}: ${F} filters of ${k}×${k}${shape.input.channels > 1 ? ` over ${shape.input.channels} channels, side by side` : ''}, ${esc(m.activation)}), ` +
    `each drawn as its weights w<sub>f</sub>(p, q) scaled to its largest |w|: where the image has ink, blue weights push z up and red ones down. ` +
    `Beside each filter, its feature map on image ${index} of ${esc(set.name)} (a ${label}): the activations σ(z) after the conv layer (${oh}×${ow})${poolText}, ${activation}.</p>` +
    `<div class="scale"><span>−max |w|</span><span class="ramp"></span><span>+max |w|</span></div>` +
    `<div class="row maps"><figure class="digit" data-index="${index}" data-label="${label}"><img src="${digit}" width="${set.cols * 3}" height="${set.rows * 3}" alt="image ${index}: a ${label}"><figcaption>image ${index}: a ${label}</figcaption></figure>` +
    `<div class="grid filters">\n${figures.join('\n')}\n</div></div>`
  );
}
