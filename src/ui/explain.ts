/**
 * The text of `digit-train explain`: the data of src/explain/ laid out step by step for an
 * 80-column terminal. Numbers are shown with 4 significant digits (6 where the engine's value is
 * set against a finite difference); every one of them is a number of the Explanation.
 */
import type { ChalkInstance } from 'chalk';
import { layerName } from '../explain/common.js';
import { type ChainExplanation, type ChainProduct, type Explanation, type WishLayer } from '../explain/types.js';
import { bar, drawDigit, sideBySide } from './draw.js';
import { table as alignedTable } from './tables.js';

/** x with `digits` significant digits: 0.1448, -4.135, 2.443e-4, 1.235e+5. */
export function num(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const ax = Math.abs(x);
  if (ax < 1e-3 || ax >= 10 ** digits) return x.toExponential(digits - 1).replace(/e\+?/, 'e');
  return x.toPrecision(digits);
}

/** As num, with a + on positive numbers (signs matter: directions of change). */
export const signed = (x: number, digits = 4): string => (x > 0 ? `+${num(x, digits)}` : num(x, digits));

/** A relative difference in one or two digits: 5.9e-12. */
export const rel = (x: number): string => (x === 0 ? '0' : x.toExponential(1).replace(/e\+?/, 'e'));

const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - s.length));
const padStart = (s: string, w: number): string => ' '.repeat(Math.max(0, w - s.length)) + s;
const thousands = (n: number): string => n.toLocaleString('en-US');
const ordinalDigit = (d: number): string => `the ${d}`;

/** Joins parts with `sep`, breaking lines before `width` columns; later lines start with `indent`. */
export function wrap(first: string, parts: string[], sep: string, indent: string, width = 80): string[] {
  const lines: string[] = [];
  let line = first;
  parts.forEach((p, i) => {
    const piece = (i === 0 ? '' : sep) + p;
    if (i > 0 && line.length + piece.length > width) {
      lines.push(line.trimEnd());
      line = indent + sep.trimStart() + p;
    } else line += piece;
  });
  lines.push(line);
  return lines;
}

const OPERATORS = new Set(['−', '-', '+', '=', '·', '×', '→', '≥', '≤']);
/** Glues the spaces of a formula so that para never breaks inside it: nb('[0, 1)'). */
const nb = (s: string): string => s.replace(/ /g, '\u00a0');

/**
 * Prose as lines of at most `width` columns, each starting with `indent`. A line never breaks
 * next to an operator (a − y stays whole) nor at a space made by `nb`.
 */
export function para(text: string, indent = '   ', width = 80): string[] {
  const words: string[] = [];
  for (const w of text.split(/ +/)) {
    const prev = words[words.length - 1];
    if (prev !== undefined && (OPERATORS.has(w) || OPERATORS.has(prev.split('\u00a0').pop()!))) words[words.length - 1] = `${prev}\u00a0${w}`;
    else words.push(w);
  }
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length > indent.length && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else line += (line.length > indent.length ? ' ' : '') + w;
  }
  lines.push(line);
  return lines.map((l) => l.replace(/\u00a0/g, ' '));
}

/** A table whose first row is the header, indented; `right` columns right-aligned (ui/tables.ts). */
export function table(rows: string[][], indent: string, right: boolean[] = []): string[] {
  const align = rows[0].map((_, c): 'left' | 'right' => (right[c] ? 'right' : 'left'));
  return alignedTable(rows[0], rows.slice(1), { align }).map((l) => (indent + l).trimEnd());
}

/** The text of costNote as one paragraph. */
function costText(net: Explanation['network']): string {
  return costNote(net).join(' ');
}

/** What the cost is and how its ∂C/∂a relates to the 2(a − y) of C = Σ(a−y)²; said once. */
export function costNote(net: Pick<Explanation['network'], 'output' | 'cost'>): string[] {
  if (net.output === 'softmax') {
    const delta = net.cost === 'quadratic' ? 'a_j((a_j − y_j) − Σ_i (a_i − y_i)·a_i)' : 'a_j − y_j';
    return [
      `Cost: ${net.cost === 'quadratic' ? "the engine's C = ½Σ(a−y)²" : 'log-likelihood C = −ln a_y'}, output softmax.`,
      "Softmax is not element-wise: ∂a_i/∂z_j = a_i(1[i=j] − a_j) ties every output to every z, so there is no single σ'(z_j).",
      `The chain through all of them gives δ_j = ∂C/∂z_j = ${delta}, which is shown directly (the engine's δ) in place of ∂C/∂a · σ'(z).`,
    ];
  }
  if (net.cost === 'cross-entropy') {
    return [
      'Cost: cross-entropy C = −Σ[y ln a + (1−y) ln(1−a)], so ∂C/∂a = (1−y)/(1−a) − y/a,',
      "and σ'(z) = a(1−a) cancels its denominator: δ = ∂C/∂a · σ'(z) = a − y.",
      '(docs/backprop.md uses the quadratic cost; the chain rule is the same.)',
    ];
  }
  return [
    "Cost: the engine's C = ½Σ(a−y)², so ∂C/∂a = a − y.",
    'Written C = Σ(a−y)², as in docs/backprop.md, ∂C/∂a = 2(a − y): a factor 2 that the learning rate η absorbs.',
    "All numbers below are the engine's own.",
  ];
}

function checkLines(p: ChainProduct, c: ChalkInstance, indent: string): string[] {
  return [`${indent}engine ${num(p.engine, 6)}, finite difference ${num(p.finiteDifference, 6)} ` + c.dim(`(rel. difference ${rel(p.relativeError)})`)];
}

/** ∂C/∂p = f1 · f2 · f3 written three times: as derivatives, as formulas, as numbers. */
function chainLines(p: ChainProduct, c: ChalkInstance): string[] {
  const lhs = `   ∂C/∂${p.param.name} = `;
  const w = p.factors.map((f) => Math.max(f.symbol.length, f.formula.length, num(f.value).length));
  const row = (cells: string[], sep: string) => cells.map((s, i) => (i === cells.length - 1 ? s : pad(s, w[i]))).join(sep);
  const blank = ' '.repeat(lhs.length - 2);
  return [
    lhs + row(p.factors.map((f) => f.symbol), ' · '),
    `${blank}= ` + row(p.factors.map((f) => f.formula), ' · '),
    `${blank}= ` + row(p.factors.map((f) => num(f.value)), ' × '),
    `${blank}= ` + c.bold(num(p.product)),
    ...checkLines(p, c, '     '),
  ];
}

function wishLines(w: WishLayer, e: Explanation, c: ChalkInstance, top: boolean): string[] {
  const L = e.network.sizes.length - 1;
  const below = layerName(w.layer, L);
  const above = layerName(w.layer + 1, L);
  const what = w.input ? 'pixels' : 'neurons';
  const nAbove = e.network.sizes[w.layer + 1];
  const cols = e.example.cols;
  const where = (k: number) => (w.input ? `${k} (row ${Math.floor(k / cols)}, col ${k % cols})` : String(k));
  const deltaAbove =
    w.layer + 1 === L && !e.outputLayer.elementwise ? `δ(${above})[j] = ∂C/∂z_j, through the softmax` : `δ(${above})[j] = σ'(z_j) · ∂C/∂a_j`;
  const lines = [
    top
      ? c.bold(`4. What layer ${above} wishes of layer ${below} (${w.size} ${what})`)
      : `   The same recipe once more, one layer down: layer ${below} (${w.size} ${what})`,
    `   ∂C/∂a(${below})[k] = Σ_j w(${above})[j,k] · δ(${above})[j]`,
    ...para(`where ${deltaAbove}: the sum over the ${nAbove} paths from a_k through each neuron j of layer ${above} to C.`),
  ];
  if (w.input) lines.push(...para('(Pixels are the input: no step changes them, but the recipe still says which pixels the network would like brighter or darker.)').map((l) => c.dim(l)));
  lines.push(
    ...table(
      [[w.input ? 'pixel' : 'k', 'a_k', '∂C/∂a_k', 'wish'], ...w.top.map((t) => [where(t.k), num(t.a), signed(t.dCda), t.direction])],
      '     ',
    ).map((l, i) => (i === 0 ? c.dim(l) : l.replace(/ (up|down)$/, (m) => (m.trim() === 'up' ? c.green(m) : c.red(m))))),
  );
  const f = w.focus;
  lines.push(`   ${w.input ? 'Pixel' : 'Neuron'} ${where(f.k)}, path by path:`);
  const rows = [['j', `w(${above})[j,${f.k}]`, `δ(${above})[j]`, 'product'], ...f.paths.map((p) => [String(p.j), num(p.w), signed(p.delta), signed(p.product)])];
  lines.push(...table(rows, '     ').map((l, i) => (i === 0 ? c.dim(l) : l)));
  if (f.restCount > 0) lines.push(`     the other ${f.restCount} path${f.restCount === 1 ? '' : 's'} together: ${signed(f.restSum)}`);
  lines.push(`     sum = ∂C/∂a(${below})[${f.k}] = ${c.bold(signed(f.sum))}`);
  if (f.sigmaPrime !== null && f.delta !== null && f.engineDelta !== null) {
    lines.push(
      `     × σ'(z(${below})[${f.k}]) = ${num(f.sigmaPrime)} gives δ(${below})[${f.k}] = ${signed(f.delta)};`,
      `     the engine's δ (BP2), which is also its ∂C/∂b(${below})[${f.k}]: ${signed(f.engineDelta)}`,
    );
  }
  return lines;
}

/** The whole explanation as lines of text. `source` says where the network came from. */
export function renderExplanation(e: Explanation, c: ChalkInstance, source: string): string[] {
  const { network: net, example: ex } = e;
  const L = net.sizes.length - 1;
  const out: string[] = [];
  const arch = `${net.sizes.join('-')} ${net.activation}${net.output !== net.activation ? `/${net.output}` : ''}, ${net.cost} cost`;
  out.push(c.bold(`digit-train explain: image ${ex.index} of ${ex.set} (label ${ex.label})`));
  out.push(`network: ${arch}`, ...para(`weights: ${source}`, '').map((l, i) => (i === 0 ? l : `         ${l}`)));
  out.push(...para(costText(net), '').map((l) => c.dim(l)), '');

  // 1
  out.push(c.bold('1. What this example wants of each output neuron'));
  const digit = drawDigit(ex.pixels, 0, ex.rows, ex.cols, c);
  const rows = table(
    [['j', 'a_j', 'y_j', 'a − y', 'wish'], ...e.outputs.map((o) => [String(o.j), num(o.a), String(o.y), signed(o.error), `${pad(o.direction, 4)} ${bar(o.strength, 10)}`])],
    '',
  ).map((l, i) => {
    if (i === 0) return c.dim(l);
    const o = e.outputs[i - 1];
    const coloured = l.replace(/(up|down)( +\S*)$/, (_, d: string, b: string) => (d === 'up' ? c.green(d + b) : c.red(d + b)));
    return o.j === ex.label ? c.bold(coloured) : coloured;
  });
  out.push(...sideBySide([digit.map((l) => `   ${l}`), rows], [ex.cols + 3, 0], 3).map((l) => l.trimEnd()));
  out.push(
    ...para(`Predicted ${ex.predicted} (the largest a), cost C = ${num(ex.cost)}. Each output should move towards y: ${ordinalDigit(ex.label)} up, the others down, each as strongly as |a − y| (the bar).`),
    '',
  );

  // 2
  const ol = e.outputLayer;
  out.push(c.bold(`2. The output layer (L, ${net.sizes[L]} neurons) by the chain rule`));
  out.push(
    ...table(
      [
        ['j', 'z', 'a', '∂C/∂a', "σ'(z)", 'δ = ∂C/∂z'],
        ...ol.neurons.map((n) => [String(n.j), num(n.z), num(n.a), signed(n.dCda), n.sigmaPrime === null ? '—' : num(n.sigmaPrime), signed(n.delta)]),
      ],
      '   ',
    ).map((l, i) => (i === 0 ? c.dim(l) : l)),
  );
  if (!ol.elementwise) out.push(c.dim("   (softmax: σ'(z) is not element-wise; δ is the engine's, via the Jacobian)"));
  const wp = ol.weight.param;
  out.push(`   The weight with the largest |∂C/∂w|: ${wp.name}, from neuron ${wp.k} of layer ${layerName(L - 1, L)}`);
  out.push(`   to output ${wp.j}:`);
  out.push(...chainLines(ol.weight, c));
  out.push(`   Its neuron's bias ${ol.bias.param.name}, where ∂z/∂b = 1:`);
  out.push(...chainLines(ol.bias, c), '');

  // 3
  const cn = e.connections;
  out.push(c.bold('3. Which connections matter most'));
  out.push(`   The weights into layer L whose change lowers C the most (largest |∂C/∂w|):`);
  const nPrev = net.sizes[L - 1];
  out.push(
    ...table(
      [
        ['weight', 'w', 'from a_k', 'rank of a_k', 'δ_j', '∂C/∂w = δ_j·a_k'],
        ...cn.top.map((t) => [t.param.name, num(t.w), num(t.from.a), `${t.from.rank} of ${nPrev}`, signed(t.to.delta), signed(t.gradient)]),
      ],
      '     ',
    ).map((l, i) => (i === 0 ? c.dim(l) : l)),
  );
  const layerMean = cn.layers[L - 1].meanActivation;
  out.push(
    ...para(
      `Their sources' mean |a| is ${num(cn.topMeanActivation)}; that of all of layer ${layerName(L - 1, L)} is ${num(layerMean)}. Since ∂C/∂w_jk = δ_j · a_k, the weights from bright, active neurons get the most gradient, and those from neurons at 0 none at all:`,
    ),
  );
  for (const s of [...cn.layers].reverse()) {
    const input = s.layer === 1;
    const what = input ? 'pixels' : 'neurons';
    const name = `${layerName(s.layer - 1, L)} → ${layerName(s.layer, L)}`;
    const share = s.activeGradientShare === null ? 'of Σ|∂C/∂w| = 0 (no gradient at all)' : `carry ${(100 * s.activeGradientShare).toFixed(1)}% of Σ|∂C/∂w|`;
    out.push(`     ${pad(name, 11)} ${s.active} of ${s.sources} ${what} with |a| ≥ 0.5 ${share}`);
    if (s.silent > 0) out.push(`     ${' '.repeat(11)} the ${s.silent} ${input ? 'black pixels' : 'silent neurons'} (a = 0): largest |∂C/∂w| ${num(s.silentMaxGradient)}`);
  }
  out.push('');

  // 4
  e.wishes.forEach((w, i) => {
    out.push(...wishLines(w, e, c, i === 0));
  });
  if (e.wishes.length > 0) out.push('');

  // 5
  const b = e.batch;
  const last = b.indices[b.indices.length - 1];
  const span = b.indices.every((v, i) => i === 0 || v === b.indices[i - 1] + 1) ? `${b.indices[0]}–${last}` : `${b.indices[0]}… (wrapping) …${last}`;
  out.push(c.bold(`5. Each example suggests, the batch averages (mini-batch: images ${span})`));
  out.push(...para(`The mini-batch is the example and the ${b.size - 1} images after it. Each example's gradient is one suggestion; the batch's gradient is their mean.`));
  out.push(
    ...table(
      [['image', 'label', 'cost', 'cosine with the batch average'], ...b.examples.map((x) => [String(x.index), String(x.label), num(x.cost), num(x.cosine) + (x.index === ex.index ? '  ← this example' : '')])],
      '     ',
      [false, false, false, false],
    ).map((l, i) => (i === 0 ? c.dim(l) : l)),
  );
  const byLayer = b.layerCosines
    .slice()
    .reverse()
    .map((lc) => `${layerName(lc.layer, L)} ${num(lc.cosine)}`)
    .join(', ');
  out.push(
    ...para(
      `The mean of these ${b.size} gradients is the engine's batch gradient (largest difference ${rel(b.averageError)}). This example against it: cosine ${num(b.cosine)}; by layer ${byLayer}. Opposite signs on ${thousands(b.oppositeSigns)} of the ${thousands(b.bothNonZero)} parameters (of ${thousands(b.parameters)}) where both are non-zero. Largest disagreements:`,
    ),
  );
  out.push(
    ...table([['parameter', 'this example', 'batch average'], ...b.disagreements.map((d) => [d.param.name, signed(d.example), signed(d.batch)])], '     ').map((l, i) =>
      i === 0 ? c.dim(l) : l,
    ),
  );
  out.push('');

  // 6
  const s = e.step;
  out.push(c.bold(`6. One SGD step with the batch average, η = ${s.eta}: every p ← p − η·∂C/∂p`));
  out.push(c.dim('   (plain SGD: no momentum, no L2 term)'));
  out.push(
    ...table(
      [
        ['', 'before', 'after'],
        ['C on this example', num(s.exampleCost.before), num(s.exampleCost.after)],
        ['C on the batch (mean)', num(s.batchCost.before), num(s.batchCost.after)],
        [`a(L)[${ex.label}], the right output`, num(s.aLabel.before), num(s.aLabel.after)],
        ['predicted digit', String(s.predicted.before), String(s.predicted.after)],
        ['batch correct', `${s.batchCorrect.before} / ${b.size}`, `${s.batchCorrect.after} / ${b.size}`],
      ],
      '     ',
    ).map((l, i) => (i === 0 ? c.dim(l) : l)),
  );
  if (s.aLabel.after < s.aLabel.before) {
    out.push(...para(`The right output went down: the step follows the average of the whole batch, not this example's wish alone.`));
  }
  return out;
}

/** The one-neuron-per-layer chain as lines of text. */
export function renderChain(ch: ChainExplanation, c: ChalkInstance, seed: number): string[] {
  const L = ch.depth;
  const name = (l: number) => (l === 0 ? 'x' : `a(${layerName(l, L)})`);
  const out: string[] = [];
  out.push(c.bold(`digit-train explain --chain: one neuron per layer, ${ch.sizes.join('-')}`));
  out.push(...para(`One sigmoid neuron per layer, weights and biases ${nb('N(0, 1)')} from seed ${seed}, input x uniform in ${nb('[0, 1)')}, target y = ${ch.y}.`, ''));
  out.push(...para("Cost: the engine's C = ½(a(L) − y)², so ∂C/∂a(L) = a(L) − y; written C = (a − y)², it gives 2(a − y): a factor 2 that η absorbs.", '').map((l) => c.dim(l)), '');
  out.push(c.bold('Forward'));
  out.push(`   x = a(${layerName(0, L)}) = ${num(ch.x)}`);
  for (const l of ch.layers) {
    const n = l.name;
    const plusB = l.b < 0 ? `− ${num(-l.b)}` : `+ ${num(l.b)}`;
    out.push(`   z(${n}) = w(${n})·${name(l.layer - 1)} + b(${n}) = ${num(l.w)}·${num(l.layer === 1 ? ch.x : ch.layers[l.layer - 2].a)} ${plusB} = ${num(l.z)}`);
    out.push(`   a(${n}) = σ(z(${n})) = ${num(l.a)}`);
  }
  out.push(`   C = ½(a(L) − y)² = ½(${num(ch.layers[L - 1].a)} − ${ch.y})² = ${num(ch.cost)}`, '');
  out.push(c.bold('Backward'), ...para('Each factor multiplies the product so far; the branches to w and b are indented.'));
  const rows = [['factor', '', 'value', 'product', 'is']];
  for (const s of ch.steps) rows.push([(s.branch ? '  ' : '') + s.symbol, `= ${s.formula}`, signed(s.value), signed(s.product), s.yields]);
  out.push(...table(rows, '   ').map((l, i) => (i === 0 ? c.dim(l) : l)));
  out.push("   Checked against the engine's backprop and a finite difference:");
  out.push(
    ...table(
      [['', 'product', 'engine', 'finite difference'], ...ch.steps.filter((s) => s.branch).map((s) => [s.yields, num(s.product, 6), num(s.engine!, 6), num(s.finiteDifference!, 6)])],
      '     ',
    ).map((l, i) => (i === 0 ? c.dim(l) : l)),
  );
  out.push('', c.bold('The whole chain from the cost back to the first weight'));
  const lhs = `   ∂C/∂w(${layerName(1, L)}) = `;
  const indent = ' '.repeat(lhs.length - 2);
  out.push(...wrap(lhs, ch.first.factors.map((f) => (f.formula.includes(' ') ? `(${f.formula})` : f.formula)), ' · ', indent));
  out.push(...wrap(`${indent}= `, ch.first.factors.map((f) => num(f.value)), ' × ', indent));
  out.push(`${indent}= ${c.bold(num(ch.first.product, 6))}`, `     engine ${num(ch.first.engine, 6)}, finite difference ${num(ch.first.finiteDifference, 6)}`);
  return out;
}
