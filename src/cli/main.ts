/**
 * The command line: commander builds the commands, the library does the work, and every
 * failure ends here as one line and an exit code (2 bad input, 1 failed gate or training,
 * 130/143 interrupted). A stack trace only with --debug.
 */
import { Command, CommanderError } from 'commander';
import { asUserError } from './errors.js';
import { preferBackend } from '../nn/fast/wasm.js';
import { VERSION } from '../version.js';
import { printable } from './text.js';
import { registerTrain } from './train.js';
import { registerEval } from './eval.js';
import { registerPredict } from './predict.js';
import { registerShow } from './show.js';
import { registerInfo } from './info.js';
import { registerExplain } from './explain.js';
import { registerBench } from './bench.js';
import { registerGradcheck } from './gradcheck.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerExport } from './export.js';
import { addHelpExamples, catchUnknownCommands } from './help.js';

/**
 * commander's error text as our one line, its hint kept:
 * "digit-train: unknown option '--epoch' (Did you mean --epochs?)".
 */
const oneLine = (str: string): string => {
  const [first, ...rest] = str.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return `digit-train: ${printable([first.replace(/^error: /, ''), ...rest].join(' '))}\n`;
};

export function buildProgram(): Command {
  const program = new Command('digit-train')
    .description('Train, check and use MNIST digit classifiers: backpropagation + mini-batch SGD on typed arrays.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces of errors')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(oneLine(str)) });
  program.enablePositionalOptions(false);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerShow(program);
  registerInfo(program);
  registerExplain(program);
  registerBench(program);
  registerGradcheck(program);
  registerReport(program);
  registerServe(program);
  registerExport(program);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ outputError: (str, write) => write(oneLine(str)) });
  catchUnknownCommands(program);
  addHelpExamples(program);
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Output piped into a reader that stops early (`digit-train … | head -1`): no crash on EPIPE,
  // and nothing lost either: the stream is dropped and the command finishes its work (a training
  // still saves its model), as if its output had gone to /dev/null.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // EIO: the terminal is gone (a closed ssh connection); keep going so that SIGHUP can checkpoint.
      if (err.code === 'EIO') return;
      if (err.code !== 'EPIPE') throw err;
      stream.write = (() => true) as typeof stream.write;
    });
  }
  if (process.env.DIGIT_TRAIN_NO_SIMD === '1') preferBackend('typescript'); // the readable TypeScript loops in place of WebAssembly SIMD
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    const user = asUserError(err);
    if (user) {
      process.stderr.write(`digit-train: ${printable(user.message)}\n`);
      if (debug) process.stderr.write(`${(err as Error).stack}\n`);
      return user.exitCode;
    }
    process.stderr.write(`digit-train: internal error: ${printable(String((err as Error)?.message ?? err))}\n`);
    if (debug) process.stderr.write(`${(err as Error)?.stack}\n`);
    else process.stderr.write('(run again with --debug for the stack trace, and please report it)\n');
    return 70;
  }
}
