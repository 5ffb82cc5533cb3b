/**
 * The text of `digit-train explain` for a layer list (a conv model): the data of
 * src/explain/layered.ts laid out for an 80-column terminal, in the words of the MLP's lesson
 * (src/ui/explain.ts): each backward step a local derivative × the upstream gradient. Feature
 * maps are drawn as digits are (ui/draw.ts), shaded from the layer's lowest activation to its
 * highest. Every number shown is a number of the LayeredExplanation.
 */
import type { ChalkInstance } from 'chalk';
import type { ActivationStats, FeatureMap, LayeredExplanation, LayerView, PooledUnitChain, ShownSum } from '../explain/types.js';
import type { Volume } from '../nn/layout.js';
import { bar, drawDigit, sideBySide } from './draw.js';
import { costNote, num, para, rel, signed, table, wrap } from './explain.js';

const WIDTH = 80;
const thousands = (n: number): string => n.toLocaleString('en-US');
const vol = (v: Volume): string => `${v.channels}×${v.height}×${v.width}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "min 0.09338, mean 0.6001, max 0.9680; 2,123 of 3,456 with |a| ≥ 0.5" */
const statsText = (s: ActivationStats): string => `min ${num(s.min)}, mean ${num(s.mean)}, max ${num(s.max)}; ${thousands(s.active)} of ${thousands(s.units)} with |a| ≥ 0.5`;

/** A map's activations as bytes 0..255 from the layer's lowest (lo) to its highest (hi) activation. */
function shade(values: number[], lo: number, hi: number): Uint8Array {
  return Uint8Array.from(values, (v) => (hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 0));
}

/** The maps drawn side by side, as many per row as fit, each under its channel's name. */
function mapLines(maps: FeatureMap[], v: Volume, lo: number, hi: number, c: ChalkInstance, indent: string): string[] {
  const gap = 2;
  const width = Math.max(v.width, ...maps.map((m) => `channel ${m.channel}`.length));
  const perRow = Math.max(1, Math.floor((WIDTH - indent.length + gap) / (width + gap)));
  const out: string[] = [];
  for (let r = 0; r < maps.length; r += perRow) {
    const row = maps.slice(r, r + perRow);
    const blocks = row.map((m) => [c.dim(`channel ${m.channel}`), ...drawDigit(shade(m.values, lo, hi), 0, v.height, v.width, c)]);
    out.push(...sideBySide(blocks, row.map(() => width), gap).map((l) => `${indent}${l}`.trimEnd()));
  }
  return out;
}

function layerLines(l: LayerView, e: LayeredExplanation, c: ChalkInstance, top: boolean): string[] {
  const n = l.index + 1;
  const last = l.index === e.layers.length - 1;
  const out: string[] = [];
  const params = l.parameters > 0 ? `, ${thousands(l.parameters)} parameters` : '';
  out.push(...para(`Layer ${n}, ${l.spec}${last ? ' (the output layer)' : ''}: ${vol(l.input)} → ${vol(l.output)}${params}`).map((x) => c.bold(x)));
  const f = l.spec.split(':').pop();
  switch (l.kind) {
    case 'conv':
      out.push(`     z_f(i,j) = b_f + Σ_c Σ_(p,q) w_f,c(p,q) · x_c(i+p, j+q), a = ${f}(z)`);
      break;
    case 'pool': {
      const k = Number(l.spec.split(':')[1]);
      out.push(...para(`a'_c(I,J) = the largest of the ${k}×${k} window x_c(${k}I+p, ${k}J+q): each window keeps its strongest response.`, '     '));
      break;
    }
    case 'dropout':
      out.push('     the identity here (r = 1): a\' = a');
      break;
    case 'dense':
      out.push(`     z = W x + b, a = ${f}(z)`);
      if (l.input.height * l.input.width > 1) out.push(...para(`(x: the ${vol(l.input)} volume below read as ${thousands(l.input.channels * l.input.height * l.input.width)} numbers, channel by channel, row by row)`, '     '));
      break;
  }
  if (l.kind === 'dropout') return top ? [...out, ''] : out;
  if (!last) out.push(...para(`all ${statsText(l.stats)}`, '     '));
  if (l.maps.length > 0) {
    out.push(...para(`The ${plural(l.maps.length, 'most active channel')} (by mean |a|) of ${l.output.channels}, shaded from the layer's lowest a (${num(l.stats.min)}, blank) to its highest (${num(l.stats.max)}, full):`, '     '));
    out.push(...mapLines(l.maps, l.output, l.stats.min, l.stats.max, c, '     '));
    out.push(
      ...table([['channel', 'min', 'mean', 'max', '|a| ≥ 0.5'], ...l.maps.map((m) => [String(m.channel), num(m.stats.min), num(m.stats.mean), num(m.stats.max), `${m.stats.active} of ${m.stats.units}`])], '     ').map((x, i) =>
        i === 0 ? c.dim(x) : x,
      ),
    );
  }
  if (l.kind === 'dense' && !last) {
    out.push(`     the ${plural(l.units.length, 'unit')} with the largest |a|:`);
    out.push(...table([['j', 'z', 'a'], ...l.units.map((u) => [String(u.j), num(u.z), num(u.a)])], '       ').map((x, i) => (i === 0 ? c.dim(x) : x)));
  }
  if (last) {
    const rows = table(
      [['j', 'a_j', 'y_j', 'a − y', 'wish'], ...e.outputs.map((o) => [String(o.j), num(o.a), String(o.y), signed(o.error), `${o.direction.padEnd(4)} ${bar(o.strength, 10)}`])],
      '     ',
    ).map((x, i) => {
      if (i === 0) return c.dim(x);
      const o = e.outputs[i - 1];
      const coloured = x.replace(/(up|down)( +\S*)$/, (_, d: string, b: string) => (d === 'up' ? c.green(d + b) : c.red(d + b)));
      return o.j === e.example.label ? c.bold(coloured) : coloured;
    });
    out.push(...rows);
    out.push(...para(`Predicted ${e.example.predicted} (the largest a), cost C = ${num(e.example.cost)}. Each output should move towards y: the ${e.example.label} up, the others down, each as strongly as |a − y| (the bar).`, '     '));
  }
  if (top) out.push('');
  return out;
}

/** A sum by its largest terms, the rest together, the total and the engine's. */
function sumLines(s: ShownSum, header: string[], row: (t: ShownSum['terms'][number]) => string[], c: ChalkInstance, indent: string, what: string): string[] {
  const out = table([header, ...s.terms.map(row)], indent).map((x, i) => (i === 0 ? c.dim(x) : x));
  if (s.restCount > 0) out.push(`${indent}the other ${plural(s.restCount, what)} together: ${signed(s.restSum)}`);
  return out;
}

function unitLines(u: PooledUnitChain, e: LayeredExplanation, c: ChalkInstance): string[] {
  const out: string[] = [];
  const n = u.conv + 1;
  const z = `z_${u.f}(${u.i},${u.j})`;
  const a = `a_${u.f}(${u.i},${u.j})`;
  const spec = e.layers[u.conv].spec;
  const pool = u.pool;
  const aboveN = u.above.index + 1;
  out.push(c.bold(pool ? '2. The chain rule through one conv unit that wins its pool window' : '2. The chain rule through one conv unit'));
  out.push(
    ...para(
      pool
        ? `The unit ${z} of layer ${n} (${spec}): of the units that win their ${pool.size}×${pool.size} window in layer ${pool.index + 1}, the one with the largest |δ|.`
        : `The unit ${z} of layer ${n} (${spec}), the one with the largest |δ| (no pool layer follows this conv layer).`,
    ),
  );
  if (u.dropouts.length > 0) out.push(...para(`Dropout (layer ${u.dropouts.map((d) => d + 1).join(', ')}) passes it on unchanged here (r = 1).`).map((l) => c.dim(l)));
  out.push('   Forward:');
  const fw = u.forward;
  out.push(`     ${z} = b_${u.f} + Σ_c,p,q w_${u.f},c(p,q)·x_c(${u.i}+p, ${u.j}+q)   (${u.forward.taps} taps)`);
  out.push(`     ${' '.repeat(z.length)} = ${num(fw.bias)} ${fw.weighted < 0 ? '−' : '+'} ${num(Math.abs(fw.weighted))} = ${num(fw.z)}   ` + c.dim(`(the engine's z: ${num(fw.engineZ)})`));
  out.push(`     ${a} = ${u.activation}(z) = ${num(fw.a)}`);
  if (pool) {
    const k = pool.size;
    const r0 = pool.I * k;
    const c0 = pool.J * k;
    out.push(`     window (${pool.I},${pool.J}) of layer ${pool.index + 1}: rows ${r0}–${r0 + k - 1}, cols ${c0}–${c0 + k - 1} of channel ${u.f}`);
    const cells = pool.window.map((v) => num(v));
    const w = Math.max(...cells.map((s) => s.length));
    for (let p = 0; p < k; p++) {
      const row = cells.slice(p * k, (p + 1) * k).map((s) => s.padStart(w)).join('  ');
      out.push(`       ${row}${p === pool.argmax[0] ? `   ← the arg-max, column ${pool.argmax[1]}: ${a}` : ''}`);
    }
    out.push(`     a'_${u.f}(${pool.I},${pool.J}) = max = ${num(pool.value)}`);
  }
  out.push('');

  // backward
  out.push('   Backward, each factor a local derivative × the upstream gradient:');
  const up = u.above.upstream;
  const outName = pool ? `a'_${u.f}(${pool.I},${pool.J})` : a;
  if (u.above.kind === 'dense') {
    out.push(`     ∂C/∂${outName} = Σ_j w(${aboveN})[j,k] · δ(${aboveN})[j]`);
    out.push(...para(`at ${u.above.at}: the sum over the ${plural(up.terms.length + up.restCount, 'path')} through the neurons j of layer ${aboveN} (${u.above.spec}), δ_j = ∂C/∂z_j there.`, '     '));
    out.push(...sumLines(up, ['j', `w(${aboveN})[j,k]`, `δ(${aboveN})[j]`, 'product'], (t) => [t.from.slice(2), num(t.left), signed(t.right), signed(t.product)], c, '       ', 'path'));
  } else if (u.above.kind === 'conv') {
    out.push(`     ∂C/∂${outName} = Σ_f Σ_(p,q) w(${aboveN})_f,${u.f}(p,q) · δ(${aboveN})_f(I−p, J−q)`);
    out.push(...para(`the sum over the ${plural(up.terms.length + up.restCount, 'filter tap')} of layer ${aboveN} (${u.above.spec}) that read it, at ${u.above.at}.`, '     '));
    out.push(...sumLines(up, ['filter, tap', 'w', 'δ', 'product'], (t) => [t.from, num(t.left), signed(t.right), signed(t.product)], c, '       ', 'tap'));
  } else {
    out.push(`     ∂C/∂${outName}: through the pool of layer ${aboveN} (${u.above.spec}), ∂max/∂a × its upstream:`);
    out.push(...sumLines(up, ['window', '∂max/∂a', 'upstream', 'product'], (t) => [t.from, num(t.left), signed(t.right), signed(t.product)], c, '       ', 'term'));
  }
  out.push(`       sum = ∂C/∂${outName} = ${c.bold(signed(up.sum))}   ` + c.dim(`(the engine's: ${signed(up.engine)})`));
  out.push(...para('Each factor multiplies the product so far:', '     '));
  let product = 1;
  const rows = [['factor', '', 'value', 'product']];
  for (const f of u.factors) {
    product *= f.value;
    rows.push([f.symbol, `= ${f.formula}`, signed(f.value), signed(product)]);
  }
  out.push(...table(rows, '       ').map((x, i) => (i === 0 ? c.dim(x) : x)));
  out.push(`     δ_${u.f}(${u.i},${u.j}) = ∂C/∂${z} = ${c.bold(signed(u.delta))}   ` + c.dim(`(the engine's δ: ${signed(u.engineDelta)})`));
  if (u.losers.length > 0) {
    out.push(
      ...para(
        `The other ${plural(u.losers.length, 'unit')} of the window ${u.losers.length === 1 ? 'loses' : 'lose'} it: ∂max/∂a = 0 there, so ${u.losers.length === 1 ? 'its' : 'their'} δ is 0 whatever the layer above wants (the engine's: ${u.losers.map((l) => num(l.engineDelta)).join(', ')}).`,
        '     ',
      ),
    );
  }
  out.push('');

  // the shared weight
  const w = u.weight;
  const x = `x_${w.c}(${u.i + w.p},${u.j + w.q})`;
  out.push(`   The shared weight ${w.name} = ${num(w.w)} of layer ${n}:`);
  out.push(`     ∂C/∂${w.name} = Σ_(i,j) δ_${u.f}(i,j) · x_${w.c}(i+${w.p}, j+${w.q})`);
  out.push(
    ...para(
      `one term per position (i,j) of filter ${u.f} (${thousands(w.positions)}), since the one weight takes part in every z_${u.f}(i,j); non-zero only where δ ≠ 0 (${thousands(w.nonZero)} positions${pool ? ': the window winners, where the layer above asks for something' : ''}). This unit's term, its tap (${w.p},${w.q}) reading the brightest input of its ${Math.sqrt(u.forward.taps / e.layers[u.conv].input.channels)}×${Math.sqrt(u.forward.taps / e.layers[u.conv].input.channels)} patch:`,
      '     ',
    ),
  );
  out.push(`       δ_${u.f}(${u.i},${u.j}) · ${x} = ${signed(u.engineDelta)} × ${num(w.x)} = ${signed(w.term)}`);
  out.push(...para(`The largest terms:`, '     '));
  out.push(...sumLines(w.sum, ['(i,j)', `δ_${u.f}(i,j)`, `x_${w.c}(i+${w.p},j+${w.q})`, 'product'], (t) => [t.from.slice(6), signed(t.left), num(t.right), signed(t.product) + (t.from === `(i,j) (${u.i},${u.j})` ? '  ← this unit' : '')], c, '       ', 'term'));
  out.push(`       sum = ∂C/∂${w.name} = ${c.bold(signed(w.sum.sum))}`);
  out.push(`       engine ${num(w.sum.engine, 6)}, finite difference ${num(w.finiteDifference, 6)}`, c.dim(`       (rel. difference ${rel(w.relativeError)})`));
  const b = u.bias;
  out.push(`     ∂C/∂${b.name} = Σ_(i,j) δ_${u.f}(i,j) = ${c.bold(signed(b.sum))}   (∂z/∂b = 1 at every position)`);
  out.push(`       engine ${num(b.engine, 6)}, finite difference ${num(b.finiteDifference, 6)}`, c.dim(`       (rel. difference ${rel(b.relativeError)})`));
  out.push(...para(`(The finite differences: (−C(p+2h) + 8C(p+h) − 8C(p−h) + C(p−2h)) / 12h, central, h = ${u.h}${u.h < 1e-3 ? ', small for the kinks of max-pool and ReLU' : ''}.)`, '     ').map((x) => c.dim(x)));
  return out;
}

/** The explanation of a layer list as lines of text. `source` says where the network came from. */
export function renderLayeredExplanation(e: LayeredExplanation, c: ChalkInstance, source: string): string[] {
  const { network: net, example: ex } = e;
  const out: string[] = [];
  out.push(c.bold(`digit-train explain: image ${ex.index} of ${ex.set} (label ${ex.label})`));
  out.push(...wrap('network: layers ', net.layers.split(',').map((l, i, all) => (i < all.length - 1 ? `${l},` : l)), '', '         '), `         ${net.cost} cost, ${thousands(net.parameters)} parameters`);
  out.push(...para(`weights: ${source}`, '').map((l, i) => (i === 0 ? l : `         ${l}`)));
  out.push(...para(costNote(net).join(' '), '').map((l) => c.dim(l)));
  if (e.layers.some((l) => l.kind === 'dropout')) {
    out.push(...para('Dropout is the identity here (r = 1), as in evaluation: in training each activation is kept with probability 1 − p and scaled by 1/(1 − p).', '').map((l) => c.dim(l)));
  }
  out.push('');

  out.push(c.bold('1. What each layer makes of the digit'));
  const digit = drawDigit(ex.pixels, 0, ex.rows, ex.cols, c);
  const about = [...para(`The input, ${vol(net.input)}: the pixels / 255, ${statsText(e.input)}.`, '', WIDTH - ex.cols - 6)];
  out.push(...sideBySide([digit.map((l) => `   ${l}`), about], [ex.cols + 3, 0], 3).map((l) => l.trimEnd()), '');
  e.layers.forEach((l, i) => out.push(...layerLines(l, e, c, i < e.layers.length - 1)));
  out.push('');
  if (e.unit) out.push(...unitLines(e.unit, e, c));
  else out.push(c.bold('2. The chain rule through a conv unit'), ...para('This list has no conv layer: there is no shared weight to take apart. (`digit-train explain --hidden …` explains a dense network step by step.)'));
  return out;
}
