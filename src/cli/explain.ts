/**
 * `digit-train explain`: backpropagation made visible on one real digit (docs/backprop.md, step
 * by step with the engine's numbers), or with --chain on a network of one neuron per layer; for a
 * layer list (a conv model, --layers or a model file of one), what each layer makes of the digit
 * and the chain rule through one pooled conv unit. The numbers come from src/explain/; the text
 * from src/ui/explain.ts and src/ui/explain-layered.ts.
 */
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { explainLayered } from '../explain/layered.js';
import { createLayered, isLayered, LayerListError, type LayeredNetwork } from '../nn/layered.js';
import { StackLayoutError } from '../nn/layout.js';
import { renderLayeredExplanation } from '../ui/explain-layered.js';
import { layerSpecs, parseLayerList } from '../model/layer-list.js';
import type { DigitSet } from '../data/dataset.js';
import { EXPLAIN_BATCH, EXPLAIN_ETA, EXPLAIN_TOP, explain } from '../explain/explain.js';
import { explainChain } from '../explain/chain.js';
import { createNetwork, type Network } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { checkModelFits, datasetName } from '../model/fit.js';
import { loadAnyModel } from '../model/model.js';
import { colorsFor } from '../ui/terminal.js';
import { renderChain, renderExplanation } from '../ui/explain.js';
import { checkIndex, dataOption, loadSplit, splitOption, type Split } from './common.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

export const DEFAULT_EXPLAIN_SEED = 1;
export const MAX_CHAIN_DEPTH = 12;

function parseDepth(raw: string, flag: string): number {
  const n = parsers.positiveInt(raw, flag);
  if (n > MAX_CHAIN_DEPTH) throw new UserError(`${flag}: ${JSON.stringify(raw)} is more than ${MAX_CHAIN_DEPTH} layers`);
  return n;
}

export const explainOptions = {
  model: { flags: '--model <file>', description: 'the model to explain', defaultText: 'a random untrained network, the one digit-train --seed S starts from', parse: parsers.text },
  index: { flags: '--index <n>', description: 'the example: image n of the split', defaultText: '0', parse: parsers.nonNegativeInt },
  digit: { flags: '--digit <d>', description: 'the example: the first image of the split with label d', parse: parsers.nonNegativeInt },
  split: { ...splitOption('train'), description: 'which images (the example and its mini-batch)' },
  batch: { flags: '--batch <m>', description: "mini-batch of steps 5 and 6: the example and the m−1 images after it (wrapping)", defaultText: `the model's, else ${EXPLAIN_BATCH}`, parse: parsers.positiveInt },
  eta: { flags: '--eta <η>', description: 'learning rate η of the SGD step (step 6)', defaultText: `the model's, else ${EXPLAIN_ETA}`, parse: parsers.positiveNumber },
  hidden: { flags: '--hidden <sizes>', description: 'hidden layer sizes of the random network (without --model)', default: '30', parse: parsers.layers },
  layers: { flags: '--layers <list>', description: 'instead of --hidden, the layers of a random layer-list network, as train --layers (e.g. conv:6x5,pool:2): what each layer makes of the digit, and the chain rule through one pooled conv unit', parse: parseLayerList },
  seed: { flags: '--seed <n>', description: 'seed of the random network (without --model) and of --chain', default: DEFAULT_EXPLAIN_SEED, parse: parsers.seed },
  top: { flags: '--top <n>', description: 'rows of each list (steepest weights, wishes, paths, disagreements)', default: EXPLAIN_TOP, parse: parsers.positiveInt },
  chain: { flags: '--chain [depth]', description: `instead: a network of one neuron per layer, depth weight layers (1 to ${MAX_CHAIN_DEPTH})`, defaultText: '3: 1-1-1-1', parse: parseDepth },
  data: dataOption,
  json: { flags: '--json', description: 'print everything as one JSON object instead of text' },
} as const satisfies OptionTable;

type ExplainArgs = ArgsOf<typeof explainOptions>;

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description('backpropagation made visible: one real example, step by step, with the engine\'s numbers')
    .allowExcessArguments(false);
  addOptions(cmd, explainOptions);
  cmd.action((raw: Record<string, unknown>, command: Command) => {
    const given = new Set(Object.keys(raw).filter((k) => command.getOptionValueSource(k) === 'cli'));
    runExplain(parseOptions(explainOptions, raw), given, typeof raw.layers === 'string' ? raw.layers : '');
  });
}

/** The first image of `set` whose label is `digit`. */
export function firstWithLabel(set: DigitSet, digit: number, split: string): number {
  for (let i = 0; i < set.count; i++) if (set.labels[i] === digit) return i;
  throw new UserError(`--digit ${digit}: no image of the ${split} split has that label`);
}

/** `layersText`: --layers as given (for the command that starts from the same network). */
function runExplain(args: ExplainArgs, given: Set<string>, layersText: string): void {
  const c = colorsFor(process.stdout);
  const print = (lines: string[]) => process.stdout.write(`${lines.join('\n')}\n`);

  if (args.chain !== undefined) {
    for (const key of ['model', 'index', 'digit', 'split', 'batch', 'eta', 'hidden', 'layers', 'top', 'data']) {
      if (given.has(key)) throw new UserError(`--chain: --${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} does not apply to the one-neuron chain`);
    }
    const depth = args.chain === true ? 3 : args.chain;
    const chain = explainChain(depth, args.seed);
    if (args.json) console.log(JSON.stringify({ seed: args.seed, ...chain }));
    else print(renderChain(chain, c, args.seed));
    return;
  }

  if (args.index !== undefined && args.digit !== undefined) throw new UserError('--index and --digit both choose the example: give one of them');
  if (given.has('layers') && given.has('hidden')) throw new UserError('--layers and --hidden both describe the random network: give one');
  if (args.model !== undefined) {
    if (given.has('seed')) throw new UserError('--seed: only for the random network; --model gives the weights');
    if (given.has('hidden')) throw new UserError('--hidden: only for the random network; --model gives the layer sizes');
    if (given.has('layers')) throw new UserError('--layers: only for the random network; --model gives the layers');
  }

  const { data, set } = loadSplit(args.data, args.split);
  let net: Network | LayeredNetwork;
  let source: string;
  let batch = args.batch;
  let eta = args.eta;
  if (args.model !== undefined) {
    const model = loadAnyModel(args.model);
    net = model.net;
    const epochs = model.meta?.progress.epoch;
    source = `${args.model}${epochs !== undefined ? ` (trained ${epochs} epoch${epochs === 1 ? '' : 's'})` : ''}`;
    if (!isLayered(net)) {
      batch ??= model.meta?.options.batch;
      eta ??= model.meta?.progress.eta;
    }
    checkModelFits(model, args.model, set, data.classes, datasetName(data));
  } else if (args.layers) {
    // exactly the network `digit-train --seed S --layers …` starts from (sigmoid, quadratic, N(0, 1))
    const input = { channels: 1, height: set.rows, width: set.cols };
    try {
      net = createLayered({ input, layers: layerSpecs(args.layers, 'sigmoid', data.classes, 'sigmoid'), cost: 'quadratic' }, new Random(args.seed), 'normal');
    } catch (err) {
      if (err instanceof StackLayoutError || err instanceof LayerListError) throw new UserError(`--layers: ${err.message} (the images are ${input.height}x${input.width})`);
      throw err;
    }
    source = `random, untrained: the start of \`digit-train --seed ${args.seed} --layers ${layersText}\``;
  } else {
    const hidden = args.hidden;
    const sizes = [set.inputSize, ...hidden, data.classes];
    // exactly the network `digit-train --seed S --hidden …` starts from (sigmoid, quadratic, N(0, 1))
    net = createNetwork({ sizes, activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(args.seed), 'normal');
    source = `random, untrained: the start of \`digit-train --seed ${args.seed}${given.has('hidden') ? ` --hidden ${hidden.join(',')}` : ''}\``;
  }

  let index = args.index ?? 0;
  if (isLayered(net)) {
    // a layer list: steps 1 (every layer) and the chain through one pooled conv unit; no mini-batch
    for (const key of ['batch', 'eta'] as const) {
      if (given.has(key)) throw new UserError(`--${key}: a layer-list explanation has no mini-batch or SGD step (steps 5 and 6 are the MLP's)`);
    }
    if (args.digit !== undefined) index = firstWithLabel(set, args.digit, args.split);
    checkIndex(index, set);
    const e = explainLayered(net, { set, index, top: args.top });
    if (args.json) console.log(JSON.stringify({ source, split: args.split, ...e }));
    else print(renderLayeredExplanation(e, c, source));
    return;
  }
  batch ??= EXPLAIN_BATCH;
  eta ??= EXPLAIN_ETA;
  if (batch > set.count) throw new UserError(`--batch ${batch} is larger than the ${args.split} split (${set.count} images)`);

  if (args.digit !== undefined) index = firstWithLabel(set, args.digit, args.split);
  checkIndex(index, set);

  const e = explain(net, { set, index, batch, eta, top: args.top });
  if (args.json) console.log(JSON.stringify({ source, split: args.split, ...e }));
  else print(renderExplanation(e, c, source));
}
