/**
 * ONNX export of a network: a graph of standard operators that any ONNX runtime runs.
 *
 * An MLP (--hidden), for each weight layer l:
 *     z = Gemm(a, W[l], b[l])        z = a·W + b, A [N × n_in], B [n_in × n_out], C [n_out]
 *     a = Sigmoid | Tanh | Relu (z)  hidden layers
 *     out = Sigmoid (z) | Softmax (z, axis 1)   the output layer
 * W[l] is stored input-major (W[l][k·n_out + j] = w_jk), which is exactly the row-major
 * [n_in × n_out] matrix Gemm wants as B with transB = 0: no transposition is needed.
 *
 * A layer list (--layers), layer by layer (nn/layout.ts's block, nn/layered.ts's forward pass):
 *     conv     Conv (kernel k×k, stride 1, no padding) then the activation; its weights
 *              w[f][c][p][q] are the row-major [F, C, k, k] tensor Conv wants, and Conv's
 *              Y[n,f,i,j] = B[f] + Σ_c,p,q X[n,c,i+p,j+q]·W[f,c,p,q] is the engine's
 *              z_f(i,j) = b_f + Σ w_f,c(p,q)·a_c(i+p, j+q) (a correlation: no kernel flip)
 *     pool     MaxPool (kernel k×k, stride k, no padding: the rows and columns beyond the last
 *              whole window dropped, as the engine does)
 *     dropout  nothing: inverted dropout is the identity at inference
 *     dense    Gemm as above (then the activation, or the output's), after a Flatten (axis 1)
 *              when it reads a volume: NCHW flattened is [c][i][j], the order the engine's dense
 *              layer reads its volume in
 * The flat input is Reshaped to [N, C, H, W] before the first conv or pool layer.
 *
 * Input "image": float32 [N, n_0] (N a dynamic batch dimension; N = 1 for one image), the
 * pixels of each image row by row, scaled to [0, 1] (byte / 255) as in training.
 * Output "output": float32 [N, n_L], the network's output activations: probabilities
 * (softmax) or independent sigmoid activations. The predicted digit is the argmax.
 * Parameters are stored as float32 (our engine computes in float64).
 *
 * The protobuf is encoded by the onnx-proto package (the official onnx.proto compiled by
 * protobufjs), never by hand.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { UserError } from '../errors.js';
import { describeFsError } from '../data/idx.js';
import type { Network } from '../nn/network.js';
import { describeLayers, inputsOf, isLayered, outputsOf, type LayeredNetwork } from '../nn/layered.js';
import type { Volume } from '../nn/layout.js';

const { onnx } = onnxProto;

/** ONNX IR version of the files written (onnx-proto 8 = ONNX 1.10's onnx.proto). */
export const ONNX_IR_VERSION = 8;
/** Opset of the default ONNX domain: Gemm, Conv, MaxPool, Reshape, Flatten, Sigmoid, Tanh, Relu and Softmax as of opset 13. */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'output';

const HIDDEN_OPS = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' } as const satisfies Record<string, string>;
const OUTPUT_OPS = { sigmoid: 'Sigmoid', softmax: 'Softmax' } as const satisfies Record<string, string>;

/** Either kind of network the export takes. */
export type ExportableNetwork = Network | LayeredNetwork;

/** A part of the network that the ONNX export does not cover (yet): `what` names it. */
export class UnsupportedExportError extends UserError {
  constructor(
    readonly what: string,
    readonly layer: number | null,
  ) {
    super(`the ONNX export does not cover ${what}${layer === null ? '' : ` (layer ${layer})`}`);
    this.name = 'UnsupportedExportError';
  }
}

/** What the exported graph takes and gives, for the CLI's message and the README. */
export interface OnnxSignature {
  irVersion: number;
  opset: number;
  input: { name: string; shape: [string, number] };
  output: { name: string; shape: [string, number]; meaning: 'softmax probabilities' | 'sigmoid activations' };
}

/**
 * Checks that every part of `net` is one the export writes, reading only sizes, W, b,
 * activation and output (and `layers`, should an MLP carry layer kinds: only "dense" is
 * covered); for a layer list, its layers' kinds and activations and the size of its block.
 * Throws UnsupportedExportError otherwise.
 */
export function checkExportable(net: ExportableNetwork): void {
  if (isLayered(net)) return checkLayeredExportable(net);
  const layers = (net as { layers?: unknown }).layers;
  if (Array.isArray(layers)) {
    layers.forEach((layer, l) => {
      const kind = (layer as { kind?: unknown } | null)?.kind;
      if (kind !== 'dense') throw new UnsupportedExportError(`layers of kind ${JSON.stringify(kind)}`, l);
    });
  }
  const L = net.sizes.length - 1;
  if (!(net.activation in HIDDEN_OPS) && L > 1) throw new UnsupportedExportError(`the hidden activation ${JSON.stringify(net.activation)}`, null);
  if (!(net.output in OUTPUT_OPS)) throw new UnsupportedExportError(`the output activation ${JSON.stringify(net.output)}`, null);
  for (let l = 0; l < L; l++) {
    if (net.W[l]?.length !== net.sizes[l] * net.sizes[l + 1] || net.b[l]?.length !== net.sizes[l + 1]) {
      throw new UnsupportedExportError(`a layer whose parameters do not match sizes ${net.sizes.join('-')}`, l);
    }
  }
}

function checkLayeredExportable(net: LayeredNetwork): void {
  const last = net.layers.length - 1;
  net.layers.forEach((spec, i) => {
    if (net.layout.layers[i]?.kind !== spec.kind) throw new UnsupportedExportError(`a layer list whose layout does not match its layers`, i + 1);
    switch (spec.kind) {
      case 'conv':
      case 'dense':
        if (i === last ? !(spec.activation in OUTPUT_OPS) : !(spec.activation in HIDDEN_OPS)) {
          throw new UnsupportedExportError(`the ${i === last ? 'output' : 'hidden'} activation ${JSON.stringify(spec.activation)}`, i + 1);
        }
        break;
      case 'pool':
      case 'dropout':
        break;
      default:
        throw new UnsupportedExportError(`layers of kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`, i + 1);
    }
  });
  if (net.layers[last]?.kind !== 'dense') throw new UnsupportedExportError('a layer list that does not end in a dense output layer', null);
  if (net.params.length !== net.layout.count) throw new UnsupportedExportError(`a layer list whose ${net.params.length} parameters do not match its layout's ${net.layout.count}`, null);
}

export function onnxSignature(net: ExportableNetwork): OnnxSignature {
  const nIn = isLayered(net) ? inputsOf(net) : net.sizes[0];
  const nOut = isLayered(net) ? outputsOf(net) : net.sizes[net.sizes.length - 1];
  return {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    input: { name: ONNX_INPUT, shape: ['N', nIn] },
    output: { name: ONNX_OUTPUT, shape: ['N', nOut], meaning: net.output === 'softmax' ? 'softmax probabilities' : 'sigmoid activations' },
  };
}

/** The network in a few words: "784-30-10 sigmoid/sigmoid" or "layers conv:20x5:sigmoid,pool:2,dense:10:softmax". */
export function describeExported(net: ExportableNetwork): string {
  return isLayered(net) ? `layers ${describeLayers(net.layers)}` : `${net.sizes.join('-')} ${net.activation}/${net.output}`;
}

/** float32 little-endian bytes (TensorProto.raw_data is little-endian whatever the machine). */
function float32Bytes(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** int64 little-endian bytes. */
function int64Bytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return bytes;
}

const floatTensor = (name: string, dims: number[], values: Float64Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32Bytes(values) });

const int64Tensor = (name: string, values: number[]) => onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: int64Bytes(values) });

const ints = (name: string, values: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

const matrixInfo = (name: string, cols: number, doc: string) =>
  onnx.ValueInfoProto.create({
    name,
    docString: doc,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: cols }] } } },
  });

type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

/** The nodes and initializers of a graph being built, and a node adder. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializer: Tensor[] = [];
  node(name: string, opType: string, input: string[], output: string, attribute: object[] = []): string {
    this.nodes.push(onnx.NodeProto.create({ name, opType, input, output: [output], attribute }));
    return output;
  }
  /** The activation of a layer: a hidden one, or the output layer's (softmax over axis 1). */
  activation(name: string, f: string, z: string, out: string, last: boolean): string {
    const opType = last ? OUTPUT_OPS[f as keyof typeof OUTPUT_OPS] : HIDDEN_OPS[f as keyof typeof HIDDEN_OPS];
    return this.node(`${opType.toLowerCase()}${name}`, opType, [z], out, opType === 'Softmax' ? [int('axis', 1)] : []);
  }
}

function mlpGraph(net: Network, g: GraphBuilder): void {
  const L = net.sizes.length - 1;
  let a = ONNX_INPUT;
  for (let l = 0; l < L; l++) {
    const [nIn, nOut] = [net.sizes[l], net.sizes[l + 1]];
    g.initializer.push(floatTensor(`W${l}`, [nIn, nOut], net.W[l]), floatTensor(`b${l}`, [nOut], net.b[l]));
    const z = g.node(`dense${l}`, 'Gemm', [a, `W${l}`, `b${l}`], `z${l}`);
    const last = l === L - 1;
    a = g.activation(String(l), last ? net.output : net.activation, z, last ? ONNX_OUTPUT : `a${l}`, last);
  }
}

/** The graph of a layer list; layer i's tensors are named after i + 1, its place in the list. */
function layeredGraph(net: LayeredNetwork, g: GraphBuilder): void {
  const last = net.layers.length - 1;
  let a = ONNX_INPUT;
  let flat = true; // a is [N, n] (the input, a dense layer's output) or [N, C, H, W]
  const asVolume = (v: Volume, n: number): void => {
    if (!flat) return;
    g.initializer.push(int64Tensor(`shape${n}`, [-1, v.channels, v.height, v.width]));
    a = g.node(`reshape${n}`, 'Reshape', [a, `shape${n}`], `volume${n}`);
    flat = false;
  };
  net.layout.layers.forEach((s, i) => {
    const spec = net.layers[i];
    const n = i + 1;
    switch (s.kind) {
      case 'conv': {
        asVolume(s.input, n);
        const { filters: F, size: k } = s;
        g.initializer.push(floatTensor(`W${n}`, [F, s.input.channels, k, k], net.W[i]), floatTensor(`b${n}`, [F], net.b[i]));
        const z = g.node(`conv${n}`, 'Conv', [a, `W${n}`, `b${n}`], `z${n}`, [ints('kernel_shape', [k, k]), ints('strides', [1, 1]), ints('pads', [0, 0, 0, 0]), ints('dilations', [1, 1]), int('group', 1)]);
        a = g.activation(String(n), (spec as { activation: string }).activation, z, `a${n}`, false);
        break;
      }
      case 'pool':
        asVolume(s.input, n);
        a = g.node(`maxpool${n}`, 'MaxPool', [a], `a${n}`, [ints('kernel_shape', [s.size, s.size]), ints('strides', [s.size, s.size]), ints('pads', [0, 0, 0, 0])]);
        break;
      case 'dropout':
        break; // the identity at inference
      case 'dense': {
        if (!flat) {
          a = g.node(`flatten${n}`, 'Flatten', [a], `flat${n}`, [int('axis', 1)]); // NCHW → [N, C·H·W], [c][i][j] order
          flat = true;
        }
        g.initializer.push(floatTensor(`W${n}`, [s.nIn, s.nOut], net.W[i]), floatTensor(`b${n}`, [s.nOut], net.b[i]));
        const z = g.node(`dense${n}`, 'Gemm', [a, `W${n}`, `b${n}`], `z${n}`);
        a = g.activation(String(n), (spec as { activation: string }).activation, z, i === last ? ONNX_OUTPUT : `a${n}`, i === last);
        break;
      }
    }
  });
}

/** The ONNX model of `net` as protobuf bytes. Throws UnsupportedExportError for what it cannot express. */
export function networkToOnnx(net: ExportableNetwork, opts: { producerVersion?: string; docString?: string } = {}): Uint8Array {
  checkExportable(net);
  const g = new GraphBuilder();
  if (isLayered(net)) layeredGraph(net, g);
  else mlpGraph(net, g);
  const sig = onnxSignature(net);
  const graph = onnx.GraphProto.create({
    name: `digit-train ${isLayered(net) ? describeLayers(net.layers) : net.sizes.join('-')}`,
    node: g.nodes,
    initializer: g.initializer,
    input: [matrixInfo(ONNX_INPUT, sig.input.shape[1], 'pixels row by row, each byte / 255 (0 = background, 1 = ink)')],
    output: [matrixInfo(ONNX_OUTPUT, sig.output.shape[1], `output activations: ${sig.output.meaning}; the predicted digit is the argmax`)],
  });
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'digit-train',
    producerVersion: opts.producerVersion ?? '',
    docString: opts.docString ?? '',
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Writes the ONNX model of `net` to `path` atomically (temporary file in the same directory, fsync, rename). */
export function saveOnnx(path: string, net: ExportableNetwork, opts: { producerVersion?: string; docString?: string } = {}): OnnxSignature {
  const bytes = networkToOnnx(net, opts);
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* it may not exist */
    }
    throw new UserError(`${path}: cannot write the ONNX model (${describeFsError(err)})`);
  }
  return onnxSignature(net);
}
