/**
 * A network as a comma-separated list of layers, input to output (the --layers option of train,
 * bench, gradcheck, explain and the serve page); the
 * output layer (one unit per class, --output's activation) is added at the end.
 *
 *   conv:FxK[:f]    F filters of K×K (stride 1, no padding), activation f (default --activation)
 *   pool:K          max-pool over K×K windows, stride K
 *   dropout:P       inverted dropout: each activation dropped with probability P while training
 *   dense:N[:f]     N fully connected neurons, activation f (default --activation)
 *
 * e.g. conv:20x5,pool:2,dense:100 (network3.py's first rung), or
 *      conv:20x5:relu,pool:2,conv:40x5:relu,pool:2,dense:1000:relu,dropout:0.5
 */
import { UserError } from '../errors.js';
import { ACTIVATIONS, type Activation } from '../nn/functions.js';
import type { LayerSpec } from '../nn/layered.js';

/** A layer as given: conv and dense may leave the activation to --activation. */
export type LayerRequest =
  | { kind: 'conv'; filters: number; size: number; activation?: Activation }
  | { kind: 'pool'; size: number }
  | { kind: 'dropout'; p: number }
  | { kind: 'dense'; units: number; activation?: Activation };

const SYNTAX = 'a comma-separated list of conv:FxK[:f], pool:K, dropout:P, dense:N[:f] (e.g. conv:20x5,pool:2,dense:100)';

export function parseLayerList(raw: string, flag: string): LayerRequest[] {
  const bad = (item: string, why: string): never => {
    throw new UserError(`${flag}: ${JSON.stringify(item)} ${why}; expected ${SYNTAX}`);
  };
  if (raw.trim() === '') bad(raw, 'is empty');
  const count = (s: string | undefined, item: string, what: string, max: number): number => {
    if (s === undefined || !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > max) bad(item, `needs ${what} from 1 to ${max}`);
    return Number(s);
  };
  const act = (s: string | undefined, item: string): Activation | undefined => {
    if (s === undefined) return undefined;
    if (!(ACTIVATIONS as readonly string[]).includes(s)) bad(item, `has activation ${JSON.stringify(s)}, not one of ${ACTIVATIONS.join(', ')}`);
    return s as Activation;
  };
  return raw.split(',').map((part): LayerRequest => {
    const item = part.trim();
    const [kind, arg, f, ...extra] = item.split(':');
    if (extra.length) bad(item, 'has too many parts');
    switch (kind) {
      case 'conv': {
        const m = /^(\d+)x(\d+)$/.exec(arg ?? '');
        if (!m) return bad(item, 'needs FxK: filters x filter size, e.g. conv:20x5');
        return { kind, filters: count(m[1], item, 'filters', 4096), size: count(m[2], item, 'a filter size', 64), ...(f !== undefined ? { activation: act(f, item) } : {}) };
      }
      case 'pool':
        if (f !== undefined) bad(item, 'takes no activation');
        return { kind, size: count(arg, item, 'a pool size', 64) };
      case 'dropout': {
        if (f !== undefined) bad(item, 'takes no activation');
        const p = Number(arg);
        if (arg === undefined || arg.trim() === '' || !Number.isFinite(p) || p < 0 || p >= 1) bad(item, 'needs a probability in [0, 1)');
        return { kind, p };
      }
      case 'dense':
        return { kind, units: count(arg, item, 'units', 100000), ...(f !== undefined ? { activation: act(f, item) } : {}) };
      default:
        return bad(item, 'is not a layer');
    }
  });
}

/** The full layer list: each conv/dense activation filled in from `activation`, then the output layer. */
export function layerSpecs(requests: readonly LayerRequest[], activation: Activation, classes: number, output: 'sigmoid' | 'softmax'): LayerSpec[] {
  const specs: LayerSpec[] = requests.map((r) => (r.kind === 'conv' || r.kind === 'dense' ? { ...r, activation: r.activation ?? activation } : { ...r }));
  specs.push({ kind: 'dense', units: classes, activation: output });
  return specs;
}
