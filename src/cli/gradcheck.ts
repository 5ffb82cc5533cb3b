/**
 * `digit-train gradcheck`: every analytic gradient of backprop against a five-point central
 * finite difference, on a few real examples; the largest relative error per layer.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { gatherImage, type DigitSet } from '../data/dataset.js';
import { ACTIVATIONS, COSTS, OUTPUTS, type Activation, type Cost, type OutputActivation } from '../nn/functions.js';
import { GRADCHECK_TOLERANCE, gradientCheck } from '../nn/gradcheck.js';
import { createNetwork, type Network } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { createWorkspace } from '../nn/workspace.js';
import { createLayered, createLayeredWorkspace, describeLayers, isLayered, LayerListError, type LayeredNetwork } from '../nn/layered.js';
import { differenceStep, gradientCheckLayered } from '../nn/layered-gradcheck.js';
import { StackLayoutError } from '../nn/layout.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { loadAnyModel } from '../model/model.js';
import { colorsFor } from '../ui/terminal.js';
import { dataOption, loadSplit } from './common.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

export const gradcheckOptions = {
  hidden: { flags: '--hidden <sizes>', description: 'hidden layer sizes, comma-separated', default: '30', parse: parsers.layers },
  activation: { flags: '--activation <f>', description: 'activation of the hidden layers', default: 'sigmoid', choices: ACTIVATIONS },
  output: { flags: '--output <f>', description: 'activation of the output layer', default: 'sigmoid', choices: OUTPUTS },
  cost: { flags: '--cost <c>', description: 'cost', default: 'quadratic', choices: COSTS },
  layers: { flags: '--layers <list>', description: 'check a random layer-list network instead (as train --layers, e.g. conv:3x5,pool:4,dense:10)', parse: parseLayerList },
  params: { flags: '--params <n>', description: 'layer lists: check at most n weights and n biases per layer, drawn at random (a conv model has too many to check all)', default: 300, parse: parsers.positiveInt },
  model: { flags: '--model <file>', description: 'check this model instead of a new random network', parse: parsers.text },
  samples: { flags: '--samples <n>', description: 'training examples in the checked mini-batch', default: 3, parse: parsers.positiveInt },
  rtol: { flags: '--rtol <r>', description: 'relative tolerance: a gradient passes when |backprop − finite difference| ≤ atol + rtol·|finite difference|', default: GRADCHECK_TOLERANCE.rtol, parse: parsers.positiveNumber },
  atol: { flags: '--atol <a>', description: 'absolute tolerance (for gradients that are practically 0)', default: GRADCHECK_TOLERANCE.atol, parse: parsers.nonNegativeNumber },
  seed: { flags: '--seed <n>', description: 'seed of the random network and of the examples drawn', default: 1, parse: parsers.seed },
  data: dataOption,
  json: { flags: '--json', description: 'print one JSON object' },
} as const satisfies OptionTable;

type GradcheckArgs = ArgsOf<typeof gradcheckOptions>;

export function registerGradcheck(program: Command): void {
  const cmd = program.command('gradcheck').description('compare every backprop gradient with a finite difference (exit 1 above the threshold)');
  addOptions(cmd, gradcheckOptions);
  cmd.action((raw: Record<string, unknown>, command: Command) => {
    const args = parseOptions(gradcheckOptions, raw);
    if (args.layers && args.model) throw new UserError('--layers and --model both name the network to check: give one');
    if (args.layers && command.getOptionValueSource('hidden') === 'cli') throw new UserError('--layers and --hidden both describe the network: give one');
    runGradcheck(args);
  });
}

function runGradcheck(args: GradcheckArgs): void {
  const { data, set } = loadSplit(args.data, 'train');
  const rng = new Random(args.seed);
  let net: Network;
  if (args.layers) {
    const input = { channels: 1, height: set.rows, width: set.cols };
    let layered: LayeredNetwork;
    try {
      layered = createLayered({ input, layers: layerSpecs(args.layers, args.activation, data.classes, args.output), cost: args.cost }, rng, 'scaled');
    } catch (err) {
      if (err instanceof StackLayoutError || err instanceof LayerListError) throw new UserError(`--layers: ${err.message} (the images are ${input.height}x${input.width})`);
      throw err;
    }
    return checkLayered(layered, args, set, rng);
  }
  if (args.model) {
    const model = loadAnyModel(args.model);
    checkModelFits(model, args.model, set, data.classes, datasetName(data));
    if (isLayered(model.net)) return checkLayered(model.net, args, set, rng);
    net = model.net;
  } else {
    net = createNetwork({ sizes: [set.inputSize, ...args.hidden, 10], activation: args.activation, output: args.output, cost: args.cost }, rng, 'scaled');
  }
  const m = args.samples;
  if (m > set.count) throw new UserError(`--samples ${m}: the training set has ${set.count} images`);
  const ws = createWorkspace(net, m);
  const picked = pickExamples(set, m, rng, ws);
  const t0 = performance.now();
  const tol = { rtol: args.rtol, atol: args.atol };
  const errors = gradientCheck(net, ws, m, tol);
  const seconds = (performance.now() - t0) / 1000;
  const worst = Math.max(...errors.flatMap((e) => [e.weights, e.biases]));
  const pass = worst <= 1;
  const params = net.params.length;
  if (args.json) {
    console.log(JSON.stringify({ sizes: net.sizes, activation: net.activation, output: net.output, cost: net.cost, examples: picked, parameters: params, rtol: tol.rtol, atol: tol.atol, layers: errors, worst, pass, seconds }));
  } else {
    const c = colorsFor(process.stdout);
    const mark = (e: number) => (e <= 1 ? c.green(e.toFixed(3)) : c.red(e.toPrecision(3)));
    const exp = (x: number) => x.toExponential(1);
    console.log(`gradient check of ${net.sizes.join('-')} ${net.activation}/${net.output}, ${net.cost} cost, on ${m} training images (${picked.join(', ')})`);
    console.log(`every one of ${params} parameters: backprop against (−C(p+2h) + 8C(p+h) − 8C(p−h) + C(p−2h)) / 12h, h = 1e-3;`);
    console.log(`per layer the largest |difference| / (atol + rtol·|finite difference|), atol ${tol.atol}, rtol ${tol.rtol} (at most 1 passes):`);
    for (const e of errors) {
      console.log(`  W^${e.layer + 1} (${net.sizes[e.layer + 1]}×${net.sizes[e.layer]})  weights ${mark(e.weights)}   biases ${mark(e.biases)}   ` + c.dim(`(largest difference ${exp(e.maxAbsolute)}, relative ${exp(e.maxRelative)})`));
    }
    console.log(pass ? c.green(`pass: every gradient within the tolerance (${seconds.toFixed(1)} s)`) : c.red(`FAIL: ${worst.toPrecision(3)} times the tolerance`));
  }
  if (!pass) throw new UserError(`gradient check failed: a gradient differs by ${worst.toPrecision(3)} times the tolerance (atol ${tol.atol}, rtol ${tol.rtol})`, 1);
}

/** gradcheck of a layer-list network: a sample of each layer's parameters (--params), dropout masks drawn once and replayed. */
function checkLayered(net: LayeredNetwork, args: GradcheckArgs, set: DigitSet, rng: Random): void {
  const m = args.samples;
  if (m > set.count) throw new UserError(`--samples ${m}: the training set has ${set.count} images`);
  const ws = createLayeredWorkspace(net, m);
  const picked = pickExamples(set, m, rng, ws);
  const t0 = performance.now();
  const tol = { rtol: args.rtol, atol: args.atol };
  const h = differenceStep(net);
  const errors = gradientCheckLayered(net, ws, m, rng, tol, h, undefined, { limit: args.params, rng });
  const seconds = (performance.now() - t0) / 1000;
  const worst = Math.max(...errors.flatMap((e) => [e.weights, e.biases]));
  const pass = worst <= 1;
  const checked = errors.reduce((s, e) => s + e.checked, 0);
  const layers = describeLayers(net.layers);
  if (args.json) {
    console.log(JSON.stringify({ layers: net.layers, cost: net.cost, examples: picked, parameters: net.params.length, checked, h, rtol: tol.rtol, atol: tol.atol, errors, worst, pass, seconds }));
  } else {
    const c = colorsFor(process.stdout);
    const mark = (e: number) => (e <= 1 ? c.green(e.toFixed(3)) : c.red(e.toPrecision(3)));
    const exp = (x: number) => x.toExponential(1);
    console.log(`gradient check of layers ${layers}, ${net.cost} cost, on ${m} training images (${picked.join(', ')})`);
    console.log(`${checked} of ${net.params.length} parameters (at most ${args.params} weights and ${args.params} biases per layer, drawn at random): backprop against (−C(p+2h) + 8C(p+h) − 8C(p−h) + C(p−2h)) / 12h, h = ${h}${h < 1e-3 ? ' (max-pool and ReLU have kinks)' : ''};`);
    console.log(`per layer the largest |difference| / (atol + rtol·|finite difference|), atol ${tol.atol}, rtol ${tol.rtol} (at most 1 passes):`);
    for (const e of errors) {
      console.log(`  layer ${e.layer + 1} ${e.kind.padEnd(5)} (${e.checked} of ${e.parameters})  weights ${mark(e.weights)}   biases ${mark(e.biases)}   ` + c.dim(`(largest difference ${exp(e.maxAbsolute)}, relative ${exp(e.maxRelative)})`));
    }
    console.log(pass ? c.green(`pass: every checked gradient within the tolerance (${seconds.toFixed(1)} s)`) : c.red(`FAIL: ${worst.toPrecision(3)} times the tolerance`));
  }
  if (!pass) throw new UserError(`gradient check failed: a gradient differs by ${worst.toPrecision(3)} times the tolerance (atol ${tol.atol}, rtol ${tol.rtol})`, 1);
}

/** m random training examples (drawn from `rng`) loaded into a workspace's input and labels; their indices. */
function pickExamples(set: DigitSet, m: number, rng: Random, ws: { a: Float64Array[]; y: Int32Array }): number[] {
  const picked: number[] = [];
  for (let x = 0; x < m; x++) {
    const e = Math.floor(rng.next() * set.count);
    picked.push(e);
    gatherImage(set, e, ws.a[0], x * set.inputSize);
    ws.y[x] = set.labels[e];
  }
  return picked;
}
