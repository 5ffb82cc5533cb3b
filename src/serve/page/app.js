// digit-train serve: the page draws, the server computes. Every number shown comes from the
// JSON API (the library's own preprocessing, forward pass, backprop and training).
'use strict';

const $ = (id) => document.getElementById(id);
const SIDE = 280; // the pad's pixels (the PNG sent is always 280×280)
const PEN = 20; // stroke width in pad pixels: about MNIST's stroke once scaled into 20×20

async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(path, init);
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

const fmt = (x, d = 4) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(d) : x.toExponential(2));
const signed = (x, d = 4) => (x > 0 ? '+' : '') + fmt(x, d);

/** t in [−1, 1] → red … white … blue (as the HTML report draws weights). */
function diverging(t) {
  const k = Math.max(-1, Math.min(1, t));
  const [R, G, B] = k < 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(k);
  return [Math.round(255 + (R - 255) * a), Math.round(255 + (G - 255) * a), Math.round(255 + (B - 255) * a)];
}

/** Draws w×h values into a canvas of that many pixels; colour(v) → [r, g, b]. */
function paint(canvas, w, h, values, colour) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true }); // small canvases: kept in memory, cheap to read back
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = colour(values[i]);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
const grey = (v) => [v, v, v];

function digitTile(pixels, side, caption) {
  const c = el('canvas', { class: 'pixels' });
  paint(c, side, side, pixels, grey);
  return el('div', { class: 'tile' }, c, el('span', { text: caption }));
}

/** Each unit's weights (signed bytes) as a height × width picture: 28×28 for a neuron over the image, k×k for a conv filter. */
function weightTiles(box, weights, shape) {
  box.replaceChildren(
    ...weights.map((w, j) => {
      const c = el('canvas');
      paint(c, shape.width, shape.height, w, (v) => diverging(v / 127));
      return el('div', { class: 'tile' }, c, el('span', { text: String(j) }));
    }),
  );
}

/** A layer's feature maps (channels maps of height × width), grey from the layer's smallest value (black) to its largest (white). */
function maps(shape, values) {
  const n = shape.height * shape.width;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const tiles = [];
  for (let c = 0; c < shape.channels; c++) {
    const canvas = el('canvas', { class: 'pixels' });
    paint(canvas, shape.width, shape.height, values.slice(c * n, (c + 1) * n), (v) => grey(hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 0));
    tiles.push(canvas);
  }
  return el(
    'div',
    { class: 'maps' },
    el('span', { class: 'name', text: `${shape.name}: ${shape.channels} × ${shape.height}×${shape.width}` }),
    el('div', { class: 'map-tiles' }, ...tiles),
    el('span', { class: 'hint', text: `black ${fmt(lo, 3)}, white ${fmt(hi, 3)}` }),
  );
}

/** A layer's activations: feature maps for a conv or pool layer, a strip for a dense one. */
function hiddenLayer(shape, values) {
  if (shape.height * shape.width > 1) return maps(shape, values);
  return strip(`${shape.name} (${values.length})`, values, `mean ${fmt(values.reduce((s, v) => s + v, 0) / values.length, 3)}`);
}

/** A row of cells, one per value, coloured by sign and size (scaled to the largest |v|). */
function strip(name, values, note) {
  const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const c = el('canvas');
  paint(c, values.length, 1, values, (v) => diverging(max ? v / max : 0));
  c.style.width = `${Math.min(values.length * 12, 600)}px`;
  return el('div', { class: 'strip' }, el('span', { class: 'name', text: name }), c, el('span', { class: 'hint', text: note ?? `max |·| ${fmt(max)}` }));
}

// ---------------------------------------------------------------------------------------------
// The network on the pad

let model = null;
let trainFormTouched = false; // once the user has changed the training form, a model shown no longer fills it in

function showModel(m) {
  model = m;
  const arch =
    m.kind === 'layered'
      ? `layers ${m.layers} (${m.parameters.toLocaleString('en')} parameters), ${m.cost === 'cross-entropy' && m.output === 'softmax' ? 'log-likelihood' : m.cost} cost`
      : `${m.sizes.join('-')} ${m.activation}${m.output !== m.activation ? '/' + m.output : ''}, ${m.cost} cost`;
  $('model-line').textContent = `${m.source}: ${arch}${m.taught ? `, taught ${m.taught} step${m.taught === 1 ? '' : 's'} here (not saved)` : ''}`;
  const w = m.weightShape;
  $('weights-title').textContent = w.unit === 'filter' ? 'First conv layer: its filters' : 'First-layer weights';
  $('weights-hint').textContent =
    w.unit === 'filter'
      ? `What each of the first ${m.weights.length} of the ${w.units} filters looks for: its ${w.height}×${w.width} weights (blue positive, red negative, white 0; each scaled to its own largest |w|). The hidden activations above show where in the drawing each one answers.`
      : `What each hidden neuron looks for: its ${w.height * w.width} input weights as a ${w.height}×${w.width} picture (blue positive, red negative, white 0; each scaled to its own largest |w|).`;
  weightTiles($('weights'), m.weights, w);
  // Training from the page: a layer-list model suggests its own layers (without the output layer, which is added).
  if (m.kind === 'layered' && !trainFormTouched) {
    $('t-kind').value = 'layers';
    $('t-layers').value = m.layers.split(',').slice(0, -1).join(',');
    $('t-eta').value = '0.1';
    showKind();
  }
}

// ---------------------------------------------------------------------------------------------
// The pad: strokes (lists of points) and pasted pictures, redrawn white on black

const pad = $('pad');
const ctx = pad.getContext('2d');
const items = []; // {points: [[x, y], …]} or {image: ImageBitmap}
let drawing = null;

function redraw() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, SIDE, SIDE);
  ctx.strokeStyle = '#fff';
  ctx.fillStyle = '#fff';
  ctx.lineWidth = PEN;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const it of items) {
    if (it.image) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(it.image, 0, 0, SIDE, SIDE);
      continue;
    }
    const p = it.points;
    if (p.length === 1) {
      ctx.beginPath();
      ctx.arc(p[0][0], p[0][1], PEN / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(p[0][0], p[0][1]);
    for (let i = 1; i < p.length; i++) ctx.lineTo(p[i][0], p[i][1]);
    ctx.stroke();
  }
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * SIDE, ((e.clientY - r.top) / r.height) * SIDE];
}

pad.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  drawing = { points: [padPoint(e)] };
  items.push(drawing);
  redraw();
  changed(false);
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  drawing.points.push(padPoint(e));
  redraw();
  changed(false);
});
const endStroke = () => {
  if (!drawing) return;
  drawing = null;
  changed(true);
};
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointercancel', endStroke);

// Keyboard: arrows move a pen, Space puts it down / lifts it.
const cursor = $('cursor');
const pen = { x: SIDE / 2, y: SIDE / 2, down: false };
function showCursor() {
  cursor.hidden = false;
  cursor.style.left = `${(pen.x / SIDE) * 100}%`;
  cursor.style.top = `${(pen.y / SIDE) * 100}%`;
  cursor.classList.toggle('down', pen.down);
}
pad.addEventListener('keydown', (e) => {
  const step = e.shiftKey ? 3 : 12;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
  if (moves[e.key]) {
    pen.x = Math.max(0, Math.min(SIDE, pen.x + moves[e.key][0]));
    pen.y = Math.max(0, Math.min(SIDE, pen.y + moves[e.key][1]));
    if (pen.down) {
      drawing.points.push([pen.x, pen.y]);
      redraw();
      changed(false);
    }
  } else if (e.key === ' ' || e.key === 'Enter') {
    pen.down = !pen.down;
    if (pen.down) {
      drawing = { points: [[pen.x, pen.y]] };
      items.push(drawing);
      redraw();
      changed(false);
    } else endStroke();
  } else if (e.key === 'Escape' && pen.down) {
    pen.down = false;
    endStroke();
  } else if (e.key === 'Backspace' || (e.key === 'z' && (e.ctrlKey || e.metaKey))) undo();
  else if (e.key === 'Delete') clear();
  else return;
  e.preventDefault();
  showCursor();
});
pad.addEventListener('blur', () => {
  if (pen.down) {
    pen.down = false;
    endStroke();
  }
  cursor.hidden = true;
});
pad.addEventListener('focus', () => {
  if (pad.matches(':focus-visible')) showCursor();
});

function undo() {
  if (drawing) {
    drawing = null;
    pen.down = false;
  }
  items.pop();
  redraw();
  changed(true);
}
function clear() {
  drawing = null;
  pen.down = false;
  items.length = 0;
  redraw();
  changed(true);
}
$('undo').addEventListener('click', undo);
$('clear').addEventListener('click', clear);

// A picture pasted or dropped onto the page fills the pad.
async function addPicture(file) {
  if (!file || !file.type.startsWith('image/')) return;
  items.push({ image: await createImageBitmap(file) });
  redraw();
  changed(true);
}
document.addEventListener('paste', (e) => {
  const file = [...(e.clipboardData?.files ?? [])][0];
  if (file) {
    e.preventDefault();
    void addPicture(file);
  }
});
pad.addEventListener('dragover', (e) => e.preventDefault());
pad.addEventListener('drop', (e) => {
  e.preventDefault();
  void addPicture(e.dataTransfer?.files?.[0]);
});

// ---------------------------------------------------------------------------------------------
// Asking the network: at most one request at a time, the latest drawing wins

let asked = 0;
let busy = false;
let again = false;
let lastAsk = 0;
let timer = null;

function changed(now) {
  asked++;
  if (!now && performance.now() - lastAsk < 120) {
    clearTimeout(timer);
    timer = setTimeout(() => changed(true), 120);
    return;
  }
  clearTimeout(timer);
  lastAsk = performance.now();
  void ask();
}

async function ask() {
  if (busy) {
    again = true;
    return;
  }
  busy = true;
  const ticket = asked;
  try {
    if (items.length === 0) showAnswer(null);
    else showAnswer(await api('/api/predict', { image: pad.toDataURL('image/png') }), ticket);
  } catch (err) {
    $('verdict').textContent = `error: ${err.message}`;
  } finally {
    busy = false;
    if (again) {
      again = false;
      void ask();
    }
  }
}

function barRows(tbody, outputs, top) {
  tbody.replaceChildren(
    ...outputs.map((a, j) => {
      const bar = el('div', { class: 'bar' });
      bar.style.width = `${Math.max(0, Math.min(1, a)) * 100}%`;
      return el('tr', j === top ? { class: 'top' } : {}, el('td', { class: 'j', text: String(j) }), el('td', {}, bar), el('td', { class: 'v', text: fmt(a) }));
    }),
  );
}

let lastPixels = null;
function showAnswer(r, ticket) {
  const verdict = $('verdict');
  lastPixels = r && !r.empty ? r.pixels : null;
  if (!r || r.empty) {
    paint($('seen'), 28, 28, new Array(28 * 28).fill(0), grey);
    verdict.textContent = items.length ? 'No ink found: draw a little larger.' : 'Draw a digit.';
    verdict.removeAttribute('data-predicted');
    $('bars').tBodies[0].replaceChildren();
    $('hidden').replaceChildren();
    return;
  }
  const side = Math.round(Math.sqrt(r.pixels.length));
  paint($('seen'), side, side, r.pixels, grey);
  verdict.replaceChildren('The network says ', el('strong', { text: String(r.predicted) }), ` (a = ${fmt(r.outputs[r.predicted], 3)})`);
  verdict.dataset.predicted = String(r.predicted);
  verdict.dataset.ticket = String(ticket);
  barRows($('bars').tBodies[0], r.outputs, r.predicted);
  $('hidden').replaceChildren(...r.hidden.map((a, l) => hiddenLayer(r.shapes[l], a)));
}

// ---------------------------------------------------------------------------------------------
// Teach it: one backprop step on the drawing, as `digit-train explain` tells it

const labels = $('labels');
for (let d = 0; d < 10; d++) {
  const b = el('button', { type: 'button', text: String(d), 'aria-label': `teach: it is a ${d}` });
  b.addEventListener('click', () => void teachIt(d, b));
  labels.append(b);
}

async function teachIt(label, button) {
  if (items.length === 0 || !lastPixels) {
    $('save-status').textContent = 'Draw a digit first.';
    return;
  }
  for (const b of labels.children) b.classList.toggle('chosen', b === button);
  try {
    const r = await api('/api/teach', { image: pad.toDataURL('image/png'), label });
    showLesson(r);
    showModel(await api('/api/model'));
    showAnswer({ pixels: r.pixels, predicted: r.after.predicted, outputs: r.after.outputs, hidden: r.hidden, shapes: r.shapes, empty: false }, asked);
    $('save-status').textContent = '';
  } catch (err) {
    $('save-status').textContent = `error: ${err.message}`;
  }
}

function showLesson(r) {
  $('lesson').hidden = false;
  const e = r.explanation;
  // A layer-list model: the step is taken, but the step-by-step account (explain's) is drawn for MLPs only.
  for (const id of ['lesson-error', 'lesson-chain']) $(id).hidden = !e;
  $('lesson-note').hidden = !!e;
  if (e) showAccount(r, e);
  const tb = $('before-after').tBodies[0];
  tb.replaceChildren(
    ...r.before.outputs.map((a, j) => {
      const cell = (v, top) => {
        const bar = el('div', { class: 'bar' });
        bar.style.width = `${Math.max(0, Math.min(1, v)) * 6}rem`;
        if (top) bar.style.background = 'var(--accent)';
        return el('td', {}, el('div', { class: 'cell' }, el('span', { text: fmt(v) }), bar));
      };
      return el('tr', j === r.label ? { class: 'top' } : {}, el('td', { class: 'j', text: String(j) }), cell(a, j === r.before.predicted), cell(r.after.outputs[j], j === r.after.predicted));
    }),
  );
  $('step-line').textContent = e
    ? `η = ${r.eta}: every weight and bias p ← p − η·∂C/∂p. Cost on this drawing ${fmt(e.step.exampleCost.before)} → ${fmt(e.step.exampleCost.after)}; a of the ${r.label} output ${fmt(r.before.outputs[r.label])} → ${fmt(r.after.outputs[r.label])}; predicted ${r.before.predicted} → ${r.after.predicted}.`
    : `η = ${r.eta}: every weight and bias p ← p − η·∂C/∂p (one mini-batch of this drawing). a of the ${r.label} output ${fmt(r.before.outputs[r.label])} → ${fmt(r.after.outputs[r.label])}; predicted ${r.before.predicted} → ${r.after.predicted}.`;
}

/** Sections 1–3 of a lesson: explain's account of the step (MLPs). */
function showAccount(r, e) {
  const maxErr = Math.max(...e.outputs.map((o) => Math.abs(o.error)));
  $('wishes').tBodies[0].replaceChildren(
    ...e.outputs.map((o) => {
      const w = el('span', { class: `wish ${o.direction}` });
      w.style.width = `${(maxErr ? Math.abs(o.error) / maxErr : 0) * 5}rem`;
      return el('tr', o.y === 1 ? { class: 'label' } : {}, el('td', { text: String(o.j) }), el('td', { text: fmt(o.a) }), el('td', { text: String(o.y) }), el('td', { text: signed(o.error) }), el('td', {}, el('span', { text: o.direction + ' ' }), w));
    }),
  );
  const L = r.delta.length;
  $('deltas').replaceChildren(...r.delta.map((d, i) => strip(i + 1 === L ? `δ of layer L (${d.length})` : `δ of layer L−${L - i - 1} (${d.length})`, d)));
  const wt = e.outputLayer.weight;
  const rows = wt.factors.map((f) => el('tr', {}, el('td', { class: 'sym', text: f.symbol }), el('td', { class: 'sym', text: f.formula }), el('td', { class: 'val', text: fmt(f.value) })));
  rows.push(el('tr', {}, el('td', { class: 'sym', text: `∂C/∂${wt.param.name}` }), el('td', { text: 'product' }), el('td', { class: 'val', text: fmt(wt.product) })));
  $('chain').replaceChildren(
    el('p', { text: `${wt.param.name}: the output weight with the largest gradient, as the product of the chain rule's factors:` }),
    el('table', {}, el('tbody', {}, ...rows)),
    el('p', { class: 'hint', text: `engine ${fmt(wt.engine, 6)}, finite difference ${fmt(wt.finiteDifference, 6)} (relative difference ${wt.relativeError.toExponential(1)})` }),
  );
}

$('reset').addEventListener('click', async () => {
  showModel(await api('/api/reset', {}));
  $('lesson').hidden = true;
  for (const b of labels.children) b.classList.remove('chosen');
  changed(true);
});
$('save').addEventListener('click', async () => {
  try {
    const r = await api('/api/save', { name: $('save-name').value.trim() });
    $('save-status').textContent = `saved ${r.saved}`;
  } catch (err) {
    $('save-status').textContent = `error: ${err.message}`;
  }
});

// ---------------------------------------------------------------------------------------------
// Training: start, watch (polling every half second while it runs), stop

let points = [];
let epochs = [];
let polling = null;

function chart(canvas, series, opts) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 52;
  const right = 12;
  const top = 10;
  const bottom = 30;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]));
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = '#5b6474';
  if (all.length === 0) {
    g.fillText('no data yet', left, top + 20);
    return;
  }
  const xmax = Math.max(opts.xmin + 1, ...all.map((p) => p[0]));
  let ymin = opts.ymin ?? Math.min(...all.map((p) => p[1]));
  let ymax = opts.ymax ?? Math.max(...all.map((p) => p[1]));
  if (ymax - ymin < 1e-9) {
    ymax += 0.5;
    ymin -= 0.5;
  }
  const X = (x) => left + ((x - opts.xmin) / (xmax - opts.xmin)) * (w - left - right);
  const Y = (y) => top + (1 - (y - ymin) / (ymax - ymin)) * (h - top - bottom);
  g.strokeStyle = '#d8dde6';
  g.lineWidth = 1;
  g.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const y = ymin + ((ymax - ymin) * i) / 4;
    g.beginPath();
    g.moveTo(left, Y(y));
    g.lineTo(w - right, Y(y));
    g.stroke();
    g.fillText(opts.percent ? `${(100 * y).toFixed(0)}%` : y.toFixed(3), left - 6, Y(y) + 4);
  }
  g.textAlign = 'center';
  const xt = Math.max(1, Math.ceil(xmax / 6));
  for (let x = 0; x <= xmax + 1e-9; x += xt) g.fillText(String(x), X(x), h - bottom + 16);
  g.fillText('epoch', w - right - 20, h - 4);
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = 2;
    const ps = s.points.filter((p) => Number.isFinite(p[1]));
    if (s.dots) {
      for (const p of ps) {
        g.beginPath();
        g.arc(X(p[0]), Y(p[1]), 4, 0, 2 * Math.PI);
        g.fill();
      }
      continue;
    }
    g.beginPath();
    ps.forEach((p, i) => (i ? g.lineTo(X(p[0]), Y(p[1])) : g.moveTo(X(p[0]), Y(p[1]))));
    g.stroke();
  }
}

function drawCharts() {
  chart($('cost-chart'), [{ colour: '#2166ac', points: points.map((p) => [p.epoch, p.cost]) }], { xmin: 0, ymin: 0 });
  chart(
    $('acc-chart'),
    [
      { colour: '#2166ac', points: points.map((p) => [p.epoch, p.accuracy]) },
      { colour: '#b2182b', dots: true, points: epochs.filter((e) => e.accuracy !== null).map((e) => [e.epoch, e.accuracy]) },
    ],
    { xmin: 0, ymin: 0, ymax: 1, percent: true },
  );
}

function showTraining(s) {
  const status = $('train-status');
  const running = s.state === 'running' || s.state === 'stopping';
  $('start').disabled = running;
  $('stop').disabled = !running;
  $('use').disabled = s.state === 'idle' || s.state === 'failed';
  status.dataset.state = s.state;
  status.classList.toggle('bad', s.state === 'failed');
  if (s.state === 'idle') {
    status.textContent = `No training yet. A run saves its checkpoint and model to ${s.out}.`;
    return;
  }
  points = points.slice(0, s.total - s.points.length).concat(s.points); // the answer holds points [total − n, total)
  epochs = s.epochs;
  const last = points[points.length - 1];
  const where = `epoch ${Math.min(s.epoch + 1, s.lastEpoch)} of ${s.lastEpoch}, mini-batch ${s.batchInEpoch} of ${s.batchesPerEpoch}`;
  const acc = last ? `; accuracy on the first 1,000 test images ${(100 * last.accuracy).toFixed(1)}%` : '';
  const net = s.request.layers !== undefined ? `layers ${s.request.layers} (softmax, log-likelihood)` : `${s.request.hidden.join(',')} hidden`;
  const head = `${net}, η ${s.request.eta}, batch ${s.request.batch}, ${s.trainSize} training images`;
  status.textContent = running ? `${s.state === 'stopping' ? 'stopping' : 'training'}: ${head}; ${where}${acc}` : `${s.message}${acc}`;
  drawCharts();
  $('train-weights-title').textContent = s.weightShape.unit === 'filter' ? 'First conv layer: its filters forming' : 'First-layer weights forming';
  weightTiles($('train-weights'), s.weights, s.weightShape);
  $('mistakes').replaceChildren(...s.mistakes.map((m) => digitTile(m.pixels, Math.round(Math.sqrt(m.pixels.length)), `${m.label} → ${m.predicted}`)));
}

async function poll() {
  try {
    const s = await api(`/api/train?since=${points.length}`);
    showTraining(s);
    if (s.state === 'running' || s.state === 'stopping') polling = setTimeout(poll, 500);
    else polling = null;
  } catch (err) {
    $('train-status').textContent = `error: ${err.message}`;
    polling = setTimeout(poll, 2000);
  }
}

// The network a run trains: an MLP of hidden sizes, or a layer list (conv).
function showKind() {
  const layers = $('t-kind').value === 'layers';
  $('t-hidden-label').hidden = layers;
  $('t-layers-label').hidden = !layers;
}
$('t-kind').addEventListener('change', showKind);
for (const id of ['t-kind', 't-hidden', 't-layers', 't-eta']) $(id).addEventListener('input', () => (trainFormTouched = true));

$('train-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const settings = { epochs: Number($('t-epochs').value), eta: Number($('t-eta').value), batch: Number($('t-batch').value) };
  const body = $('t-kind').value === 'layers' ? { layers: $('t-layers').value.trim(), ...settings } : { hidden: $('t-hidden').value.split(',').map((v) => Number(v.trim())), ...settings };
  try {
    $('start').disabled = true;
    const s = await api('/api/train', body);
    points = [];
    epochs = [];
    showTraining(s);
    clearTimeout(polling);
    polling = setTimeout(poll, 300);
  } catch (err) {
    $('start').disabled = false;
    $('train-status').textContent = `error: ${err.message}`;
  }
});
$('stop').addEventListener('click', async () => {
  $('stop').disabled = true;
  try {
    await api('/api/train/stop', {});
  } catch (err) {
    $('train-status').textContent = `error: ${err.message}`;
  }
  clearTimeout(polling);
  void poll();
});
$('use').addEventListener('click', async () => {
  showModel(await api('/api/train/use', {}));
  changed(true);
});

window.addEventListener('resize', () => drawCharts());

// ---------------------------------------------------------------------------------------------

redraw();
showAnswer(null);
api('/api/model')
  .then(showModel)
  .catch((err) => ($('model-line').textContent = `error: ${err.message}`));
poll();
