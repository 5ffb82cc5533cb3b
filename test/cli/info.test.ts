import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeDataDir } from '../helpers.js';
import { run } from './run.js';

describe('digit-train info', () => {
  it('a model trained on MNIST: sizes, settings, seed, checksums, the history table, final metrics', () => {
    const model = join(tempDir(), 'm.json');
    const t = run(['--train-size', '500', '--epochs', '2', '--hidden', '12', '--eta', '2.5', '--batch', '20', '--seed', '42', '--monitor', 'validation,test', '--out', model]);
    expect(t.code).toBe(0);
    const doc = JSON.parse(readFileSync(model, 'utf8')).digitTrain;

    const r = run(['info', model]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^format\s+digit-train model, format 1 \(written by \d+\.\d+\.\d+, /m);
    expect(out).toMatch(/^sizes\s+784-12-10 \(9550 weights and biases\)$/m);
    expect(out).toMatch(/^activation\s+sigmoid$/m);
    expect(out).toMatch(/^cost\s+quadratic$/m);
    expect(out).toMatch(/^seed\s+42$/m);
    expect(out).toMatch(/^training\s+η 2\.5, batch 20, λ 0, μ 0, shuffled$/m);
    expect(out).toMatch(/^dataset\s+MNIST, 500 training images$/m);
    for (const [name, sha] of Object.entries(doc.dataset.sha256 as Record<string, string>)) expect(out).toContain(`${name.padEnd(24)} sha256 ${sha}`);
    // the history: a header and one row per epoch, with the accuracies of the file
    const lines = out.split('\n');
    const head = lines.findIndex((l) => l.startsWith('epoch '));
    expect(lines[head].split(/\s+/)).toEqual(['epoch', 'η', 'cost', 'validation', 'test', 'seconds']);
    doc.progress.history.forEach((h: any, i: number) => {
      const cells = lines[head + 1 + i].trim().split(/\s+/);
      expect(cells.slice(0, 5)).toEqual([String(h.epoch), '2.5', h.trainCost.toFixed(4), `${(100 * h.validation.accuracy).toFixed(2)}%`, `${(100 * h.test.accuracy).toFixed(2)}%`]);
    });
    const last = doc.progress.history[1];
    expect(out).toContain(`final: after epoch 2: cost ${last.trainCost.toFixed(4)}, validation ${last.validation.correct} / 10000`);

    const j = JSON.parse(run(['info', model, '--json']).stdout);
    expect(j).toMatchObject({ format: 'digit-train 1', sizes: [784, 12, 10], parameters: 9550, activation: 'sigmoid', cost: 'quadratic' });
    expect(j.digitTrain.seed).toBe(42);
    expect(j.digitTrain.options).toEqual(doc.options);
    expect(j.history).toEqual(doc.progress.history);
    expect(j.final.test).toEqual(last.test);
    expect(j.weights).toBeUndefined();
  });

  it('a network2.py file: what it has, and no training record', () => {
    const path = join(tempDir(), 'n2.json');
    writeFileSync(path, JSON.stringify({ sizes: [2, 1], weights: [[[0.5, -0.5]]], biases: [[[0.1]]], cost: 'CrossEntropyCost' }));
    const r = run(['info', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "format      network2.py's (no training record)",
        'sizes       2-1 (3 weights and biases)',
        'activation  sigmoid',
        'cost        cross-entropy',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(run(['info', path, '--json']).stdout)).toMatchObject({ format: 'network2.py', digitTrain: null, history: [], final: null });
  });

  it('a model trained on other data, with momentum: the settings shown; a broken file: exit 2', () => {
    const data = writeDataDir();
    const model = join(tempDir(), 'm.json');
    expect(run(['--data', data, '--epochs', '1', '--momentum', '0.5', '--lambda', '0.1', '--no-shuffle', '--out', model]).code).toBe(0);
    const r = run(['info', model]);
    expect(r.stdout).toMatch(/^training\s+η 3, batch 10, λ 0\.1, μ 0\.5, file order$/m);
    expect(r.stdout).toContain(`dataset     ${data}, 120 training images`);
    expect(r.stdout).not.toContain('sha256');

    writeFileSync(model, '{"sizes": [2, 1]');
    const bad = run(['info', model]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^digit-train: ${model}: not valid JSON \\(.*\\)\\n$`));
  });
});
