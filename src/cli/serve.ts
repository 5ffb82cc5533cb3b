/**
 * `digit-train serve [MODEL]`: a page on this machine to draw a digit and watch the network
 * answer, teach it one backprop step, and train a network live (src/serve/). Listens on
 * 127.0.0.1 and ::1 only, unless --host says otherwise (with a warning). Ctrl-C checkpoints a
 * running training as `digit-train train` does, and exits 130.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { loadMnist } from '../data/mnist.js';
import { imageSide } from '../model/fit.js';
import { loadAnyModel, type AnyModel } from '../model/model.js';
import { createNetwork } from '../nn/network.js';
import { Random } from '../nn/random.js';
import { serve } from '../serve/server.js';
import { colorsFor } from '../ui/terminal.js';
import { checkWritable, dataOption } from './common.js';
import { addOptions, type ArgsOf, type OptionTable, parseOptions, parsers } from './options.js';

const LOOPBACK = ['127.0.0.1', '::1'];

function parsePort(raw: string, flag: string): number {
  const n = parsers.nonNegativeInt(raw, flag);
  if (n > 65535) throw new UserError(`${flag}: ${JSON.stringify(raw)} is not a port (0 to 65535)`);
  return n;
}

export const serveOptions = {
  port: { flags: '--port <n>', description: 'port to listen on (0: a free one)', defaultText: 'a free one', parse: parsePort },
  host: {
    flags: '--host <address>',
    description: 'listen on this address instead (anyone who can reach it can use the page and train: a warning is printed)',
    defaultText: '127.0.0.1 and ::1',
    parse: parsers.text,
  },
  open: { flags: '--open', description: 'also open the page in the default browser' },
  out: { flags: '--out <file>', description: 'where a training started from the page saves its checkpoint and model', default: 'trained.json', parse: parsers.text },
  trainSize: { flags: '--train-size <n>', description: 'a training started from the page uses the first n images of the training split', defaultText: '50000 (all)', parse: parsers.positiveInt },
  data: dataOption,
} as const satisfies OptionTable;

type ServeArgs = ArgsOf<typeof serveOptions>;

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('a page on this machine: draw a digit, see the network answer, teach it, train live')
    .argument('[model]', "model file (digit-train's, an MLP or a layer list, or network2.py's JSON); default: the untrained network digit-train --seed 1 starts from")
    .allowExcessArguments(false);
  addOptions(cmd, serveOptions);
  cmd.action((model: string | undefined, raw: Record<string, unknown>) => runServe(model, parseOptions(serveOptions, raw)));
}

/** Opens `url` with the platform's opener; says so when there is none. */
function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => console.error(`could not start ${cmd}; open ${url} in a browser`));
  child.unref();
}

async function runServe(file: string | undefined, args: ServeArgs): Promise<void> {
  const c = colorsFor(process.stdout);
  let model: AnyModel;
  let label: string;
  if (file) {
    model = loadAnyModel(file); // an MLP or a layer-list (conv) model
    label = file;
    if (resolve(file) === resolve(args.out)) throw new UserError(`--out ${args.out}: is the model being served; a training from the page needs another file`);
  } else {
    // The network `digit-train --seed 1` starts from: 784-30-10, sigmoid, quadratic cost, N(0, 1).
    model = { net: createNetwork({ sizes: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', cost: 'quadratic' }, new Random(1), 'normal'), meta: null };
    label = 'untrained 784-30-10 (seed 1)';
  }
  const side = imageSide(model.net, file ?? 'the network');
  checkWritable(args.out);
  const hosts = args.host ? [args.host] : LOOPBACK;
  if (args.host && !LOOPBACK.includes(args.host) && args.host !== 'localhost') {
    console.error(colorsFor(process.stderr).yellow(`warning: serving on ${args.host}: anyone who can reach this address can use the page, train, and write model files here`));
  }
  let serving;
  try {
    serving = await serve({
      model,
      file,
      label,
      side,
      eta: model.meta?.options.eta ?? 3,
      loadData: () => loadMnist({ dir: args.data, trainSize: args.trainSize }),
      out: args.out,
      hosts,
      port: args.port ?? 0,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`--port ${args.port}: the port is in use`);
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EACCES') throw new UserError(`--host ${args.host ?? hosts[0]}: cannot listen there (${e.code})`);
    throw err;
  }
  // Ctrl-C / SIGTERM: checkpoint a running training as `digit-train train` does, close, exit
  // 130 / 143. The handlers are in place before the address is printed (a user, or a script,
  // may press Ctrl-C at once), and go at the first signal, so a second one ends the process.
  const codes = { SIGINT: 130, SIGTERM: 143 } as const;
  const stopped = new Promise<keyof typeof codes>((done) => {
    const handlers = { SIGINT: () => stop('SIGINT'), SIGTERM: () => stop('SIGTERM') };
    const stop = (sig: keyof typeof codes) => {
      for (const s of Object.keys(handlers) as (keyof typeof codes)[]) process.removeListener(s, handlers[s]);
      done(sig);
    };
    for (const s of Object.keys(handlers) as (keyof typeof codes)[]) process.on(s, handlers[s]);
  });
  console.log(`digit-train serve: ${label} on ${c.bold(serving.url)}`);
  console.log('press Ctrl-C to stop (a running training is checkpointed first)');
  if (args.open) openBrowser(serving.url);
  const signal = await stopped;
  const run = serving.run();
  let what = 'the server stopped';
  if (run && (run.state === 'running' || run.state === 'stopping')) {
    await run.stop();
    what = `training ${run.message}`;
  }
  await serving.close();
  throw new UserError(`interrupted by ${signal}; ${what}`, codes[signal]);
}
