/**
 * `digit-train export MODEL OUT.onnx`: the model (an MLP or a layer list) as an ONNX file that
 * other runtimes load (see src/export/onnx.ts for the graph, its input and its output).
 */
import type { Command } from 'commander';
import { loadAnyModel } from '../model/model.js';
import { VERSION } from '../version.js';
import { checkWritable } from './common.js';
import { addOptions, type OptionTable } from './options.js';

export const exportOptions = {} as const satisfies OptionTable;

export function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description('write a model as ONNX (IR version 8, opset 13) for other runtimes')
    .argument('<model>', "model file (digit-train's or network2.py's JSON)")
    .argument('<out>', 'the ONNX file to write (e.g. model.onnx)')
    .allowExcessArguments(false);
  addOptions(cmd, exportOptions);
  cmd.action((model: string, out: string) => runExport(model, out));
}

async function runExport(file: string, out: string): Promise<void> {
  // Loaded here, not at start-up: the protobuf code is only needed by this command.
  const { describeExported, saveOnnx } = await import('../export/onnx.js');
  const model = loadAnyModel(file);
  checkWritable(out, 'OUT');
  const net = model.net;
  const what = describeExported(net);
  const sig = saveOnnx(out, net, { producerVersion: VERSION, docString: `${what} network exported from ${file}` });
  console.log(
    `${out}: ONNX IR version ${sig.irVersion}, opset ${sig.opset}; input "${sig.input.name}" float32 [${sig.input.shape.join(', ')}] (pixels / 255),` +
      ` output "${sig.output.name}" float32 [${sig.output.shape.join(', ')}] (${sig.output.meaning}); ${what} from ${file}`,
  );
}
