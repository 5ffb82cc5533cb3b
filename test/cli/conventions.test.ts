/**
 * Command-line conventions as a new user meets them: typo hints, unknown commands, examples in
 * every --help, --quiet, and what TERM=dumb, FORCE_COLOR=0 and NO_COLOR switch off (on a real
 * pseudo-terminal, through `script`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { EXAMPLES, similarCommands } from '../../src/cli/help.js';
import { tempDir, writeDataDir } from '../helpers.js';
import { BIN, run } from './run.js';

describe('errors that help', () => {
  it.each([
    [['--epoch', '3'], "digit-train: unknown option '--epoch' (Did you mean --epochs?)"],
    [['eval', 'm.json', '--min-acuracy', '90'], "digit-train: unknown option '--min-acuracy' (Did you mean --min-accuracy?)"],
    [['trian'], "digit-train: unknown command 'trian' (did you mean train?)"],
    [['evl', 'model.json'], "digit-train: unknown command 'evl' (did you mean eval?)"],
    [['--epochs', '2', 'reprot', 'm.json'], "digit-train: unknown command 'reprot' (did you mean report?)"],
    [['xyzzy'], "digit-train: unknown command 'xyzzy' (commands: train, eval, predict, show, info, explain, bench, gradcheck, report, serve, export, help)"],
  ])('%j: one line with the hint, exit 2, nothing trained', (args, line) => {
    const dir = tempDir();
    const r = run(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe('');
  });

  it('suggests by edit distance, a swap of neighbours counting one', () => {
    const names = ['train', 'eval', 'predict', 'show', 'info', 'explain', 'bench', 'gradcheck', 'report', 'export', 'help'];
    expect(similarCommands('tarin', names)).toEqual(['train']);
    expect(similarCommands('EVAL', names)).toEqual(['eval']);
    expect(similarCommands('exprt', names)).toEqual(['export']);
    expect(similarCommands('zz', names)).toEqual([]);
  });
});

describe('help', () => {
  const program = buildProgram();
  /** What `digit-train NAME --help` prints (in-process; one command is also spawned below). */
  const helpOf = (name: string): string => {
    let text = '';
    const p = buildProgram();
    p.configureOutput({ writeOut: (s) => (text += s) });
    const cmd = p.commands.find((c) => c.name() === name)!;
    cmd.configureOutput({ writeOut: (s) => (text += s) });
    cmd.outputHelp();
    return text;
  };

  it('as the user sees it: eval --help (spawned) is the text checked below', () => {
    const r = run(['eval', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toBe(helpOf('eval').replace(/\s+/g, ' '));
  });

  it.each(program.commands.map((c) => c.name()))('%s --help ends with two or three examples that use its own options', (name) => {
    const m = /\nExamples:\n((?: {2}\$ .*\n)+)\n?$/.exec(helpOf(name));
    expect(m).not.toBeNull();
    const lines = m![1].trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(3);
    const cmd = program.commands.find((c) => c.name() === name)!;
    const known = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
    for (const example of EXAMPLES[name]) {
      // Flags of the part that runs this command (up to a shell operator or a comment).
      const own = example.split(/&&|#|>/)[0];
      for (const flag of own.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) expect(known.has(flag), `${name}: ${flag} in "${example}"`).toBe(true);
    }
  });

  it('the top-level help lists train’s options (train is the default command)', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Options of train \(the default command/);
    for (const flag of ['--epochs <n>', '--hidden <sizes>', '--quiet', '--json', '--resume <file>']) expect(r.stdout).toContain(`  ${flag}`);
    expect(r.stdout).toMatch(/\nExamples:\n {2}\$ digit-train --epochs 30/);
  });
});

describe('train --quiet', () => {
  it('prints the final line only (no header, epochs or chart)', () => {
    const r = run(['--quiet', '--epochs', '2', '--train-size', '1000', '--out', join(tempDir(), 'm.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^saved .*m\.json \(2 epochs in [\d.]+s; test accuracy best \d+\.\d\d%, last \d+\.\d\d%\)\n$/);
  });
});

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.warn('test/cli/conventions.test.ts: terminal tests SKIPPED: no `script` command (util-linux)');

describe.skipIf(!hasScript)('on a terminal', () => {
  // Small data (1,000 training images of 6×6: 100 mini-batches an epoch, so the bar draws), fast to load.
  /** Runs digit-train on a pseudo-terminal with `env` (NAME=value words); returns what the terminal got. */
  const tty = (env: string, args = '--epochs 2 --monitor test,train') => {
    const data = writeDataDir({ train: 1000, test: 100 }); // removed after each test, so one per run
    return spawnSync('script', ['-qec', `env -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${env} ${process.execPath} ${BIN} --data ${data} ${args} --out ${join(tempDir(), 'm.json')}`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
    }).stdout;
  };

  it('by default: colours, the progress bar with the running cost and the whole run’s ETA, a Unicode chart', () => {
    const out = tty('');
    expect(out).toMatch(/\x1b\[1m/);
    expect(out).toMatch(/epoch 1\/2 [█░]+ \d+% \| \d+\/100 batches \| cost (\d\.\d{4}|…) \| run ETA (\d+s|\d+m \d\ds|…)/);
    expect(out).toMatch(/cost \d\.\d{4} \| run ETA \d+s/);
    expect(out).toMatch(/[⠁-⣿]/);
  });

  it.each(['TERM=dumb', 'FORCE_COLOR=0'])('%s: no escape code at all (no colours, no cursor movement, no progress bar)', (env) => {
    const out = tty(env);
    expect(out).toMatch(/saved .*m\.json/);
    expect(out).not.toMatch(/\x1b/);
    expect(out).not.toMatch(/batches/);
  });

  it('NO_COLOR: no colours, but the bar and the Unicode chart stay (a one-series chart: braille needs no colour)', () => {
    const out = tty('NO_COLOR=1', '--epochs 2');
    expect(out).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(out).toMatch(/\d+\/100 batches/);
    expect(out).toMatch(/[⠁-⣿]/);
    expect(out).toMatch(/[┤│└─]/);
    // Two accuracy series without colours could not be told apart in braille: ASCII markers then.
    const two = tty('NO_COLOR=1');
    expect(two).not.toMatch(/[⠁-⣿]/);
    expect(two).toMatch(/\+ train {2}\* test/);
  });
});
