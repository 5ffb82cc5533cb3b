import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { drawDigit } from '../../src/ui/draw.js';
import { writeDataDir } from '../helpers.js';
import { run } from './run.js';

const plain = new Chalk({ level: 0 });

describe('digit-train show', () => {
  it('--index N: the image drawn with its label', () => {
    const dir = writeDataDir({ train: 30, test: 12, rows: 6, cols: 6 });
    const { test } = loadMnist({ dir });
    const r = run(['show', '--data', dir, '--index', '3']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = drawDigit(test.images, 3 * 36, 6, 6, plain).map((l) => l.replace(/\s+$/, ''));
    expect(r.stdout).toBe([`#3: ${test.labels[3]}`, ...expected, `${dir} test: image 3`, ''].join('\n'));
  });

  it('--count K from --index N, side by side, and --split train', () => {
    const dir = writeDataDir({ train: 30, test: 12, rows: 6, cols: 6 });
    const { train } = loadMnist({ dir });
    const r = run(['show', '--data', dir, '--index', '10', '--count', '3', '--split', 'train']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // 6-wide pictures with gaps of 3: all three fit in one row of 80 columns
    expect(lines[0]).toBe(`#10: ${train.labels[10]}`.padEnd(9) + `#11: ${train.labels[11]}`.padEnd(9) + `#12: ${train.labels[12]}`);
    expect(lines.slice(1, 4).every((l) => l.length <= 24)).toBe(true);
    expect(lines[4]).toBe(`${dir} train[0:30]: 3 images`);
  });

  it('--digit D on MNIST: the first images with that label, as 28×28 pictures two to a row', () => {
    const { test } = loadMnist();
    const fours = Array.from(test.labels.keys()).filter((e) => test.labels[e] === 4).slice(0, 3);
    const r = run(['show', '--digit', '4', '--count', '3']);
    expect(r.code).toBe(0);
    const labels = r.stdout.split('\n').filter((l) => l.startsWith('#'));
    expect(labels).toEqual([`#${fours[0]}: 4`.padEnd(31) + `#${fours[1]}: 4`, `#${fours[2]}: 4`]);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('MNIST test: 3 images labelled 4');
    // each row: a label line and 14 picture lines; rows separated by an empty line
    expect(r.stdout.split('\n')).toHaveLength(1 + 14 + 1 + 1 + 14 + 1 + 1);
  });

  it('bad requests: exit 2, one line', () => {
    const dir = writeDataDir({ train: 30, test: 12 });
    const cases: [string[], string][] = [
      [['--index', '1', '--digit', '2'], 'give --index or --digit, not both'],
      [['--index', '12'], '--index 12: the set has 12 images (0 to 11)'],
      [['--digit', '10'], '--digit 10: the labels of the data go from 0 to 9'],
      [['--count', '0'], '--count: "0" is not a positive integer'],
    ];
    for (const [args, message] of cases) {
      const r = run(['show', '--data', dir, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`digit-train: ${message}\n`);
    }
  });
});
