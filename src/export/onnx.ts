/**
 * ONNX export of a network: a graph of standard operators that any ONNX runtime runs.
 *
 * For each weight layer l (all are dense today):
 *     z = Gemm(a, W[l], b[l])        z = a·W + b, A [N × n_in], B [n_in × n_out], C [n_out]
 *     a = Sigmoid | Tanh | Relu (z)  hidden layers
 *     out = Sigmoid (z) | Softmax (z, axis 1)   the output layer
 * W[l] is stored input-major (W[l][k·n_out + j] = w_jk), which is exactly the row-major
 * [n_in × n_out] matrix Gemm wants as B with transB = 0: no transposition is needed.
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

const { onnx } = onnxProto;

/** ONNX IR version of the files written (onnx-proto 8 = ONNX 1.10's onnx.proto). */
export const ONNX_IR_VERSION = 8;
/** Opset of the default ONNX domain: Gemm, Sigmoid, Tanh, Relu and Softmax as of opset 13. */
export const ONNX_OPSET = 13;
export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'output';

const HIDDEN_OPS = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu' } as const satisfies Record<string, string>;
const OUTPUT_OPS = { sigmoid: 'Sigmoid', softmax: 'Softmax' } as const satisfies Record<string, string>;

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
 * activation and output (and `layers`, should a network carry layer kinds: only "dense" is
 * covered). Throws UnsupportedExportError otherwise.
 */
export function checkExportable(net: Network): void {
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

export function onnxSignature(net: Network): OnnxSignature {
  const nIn = net.sizes[0];
  const nOut = net.sizes[net.sizes.length - 1];
  return {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    input: { name: ONNX_INPUT, shape: ['N', nIn] },
    output: { name: ONNX_OUTPUT, shape: ['N', nOut], meaning: net.output === 'softmax' ? 'softmax probabilities' : 'sigmoid activations' },
  };
}

/** float32 little-endian bytes (TensorProto.raw_data is little-endian whatever the machine). */
function float32Bytes(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

const floatTensor = (name: string, dims: number[], values: Float64Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32Bytes(values) });

const matrixInfo = (name: string, cols: number, doc: string) =>
  onnx.ValueInfoProto.create({
    name,
    docString: doc,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: cols }] } } },
  });

/** The ONNX model of `net` as protobuf bytes. Throws UnsupportedExportError for what it cannot express. */
export function networkToOnnx(net: Network, opts: { producerVersion?: string; docString?: string } = {}): Uint8Array {
  checkExportable(net);
  const L = net.sizes.length - 1;
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializer: InstanceType<typeof onnx.TensorProto>[] = [];
  let a = ONNX_INPUT;
  for (let l = 0; l < L; l++) {
    const [nIn, nOut] = [net.sizes[l], net.sizes[l + 1]];
    initializer.push(floatTensor(`W${l}`, [nIn, nOut], net.W[l]), floatTensor(`b${l}`, [nOut], net.b[l]));
    const z = `z${l}`;
    nodes.push(onnx.NodeProto.create({ name: `dense${l}`, opType: 'Gemm', input: [a, `W${l}`, `b${l}`], output: [z] }));
    const last = l === L - 1;
    const out = last ? ONNX_OUTPUT : `a${l}`;
    const opType = last ? OUTPUT_OPS[net.output] : HIDDEN_OPS[net.activation];
    const attribute = opType === 'Softmax' ? [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] : [];
    nodes.push(onnx.NodeProto.create({ name: `${opType.toLowerCase()}${l}`, opType, input: [z], output: [out], attribute }));
    a = out;
  }
  const sig = onnxSignature(net);
  const graph = onnx.GraphProto.create({
    name: `digit-train ${net.sizes.join('-')}`,
    node: nodes,
    initializer,
    input: [matrixInfo(ONNX_INPUT, net.sizes[0], 'pixels row by row, each byte / 255 (0 = background, 1 = ink)')],
    output: [matrixInfo(ONNX_OUTPUT, net.sizes[L], `output activations: ${sig.output.meaning}; the predicted digit is the argmax`)],
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
export function saveOnnx(path: string, net: Network, opts: { producerVersion?: string; docString?: string } = {}): OnnxSignature {
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
