import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, COSTS, OUTPUTS } from '../../src/nn/functions.js';
import { run } from './run.js';

describe('digit-train gradcheck', () => {
  for (const activation of ACTIVATIONS) {
    for (const output of OUTPUTS) {
      for (const cost of COSTS) {
        it(`${activation}/${output}/${cost}: every gradient within the tolerance on real digits`, () => {
          const r = run(['gradcheck', '--hidden', '4,3', '--samples', '2', '--activation', activation, '--output', output, '--cost', cost, '--json']);
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          const result = JSON.parse(r.stdout);
          expect(result.sizes).toEqual([784, 4, 3, 10]);
          expect(result.parameters).toBe(784 * 4 + 4 + 4 * 3 + 3 + 3 * 10 + 10);
          expect(result.layers).toHaveLength(3);
          expect(result.worst).toBeLessThanOrEqual(1);
          expect(result.rtol).toBe(1e-6);
          expect(result.pass).toBe(true);
        });
      }
    }
  }

  it('passes the 12-8 sigmoid cross-entropy network whose tiny gradients failed a purely relative measure', () => {
    const r = run(['gradcheck', '--hidden', '12,8', '--cost', 'cross-entropy', '--activation', 'sigmoid', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.pass).toBe(true);
    // what made it fail before: somewhere a relative error above 1e-6 on a gradient that is practically 0
    expect(Math.max(...result.layers.map((l: { maxRelative: number }) => l.maxRelative))).toBeGreaterThan(1e-6);
  });

  it('prints a table and exits 1 above the tolerance', () => {
    const ok = run(['gradcheck', '--hidden', '3', '--samples', '1']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/W\^1 \(3×784\) {2}weights \d\.\d{3} {3}biases \d\.\d{3}/);
    expect(ok.stdout).toMatch(/^pass: every gradient within the tolerance/m);
    const strict = run(['gradcheck', '--hidden', '3', '--samples', '1', '--rtol', '1e-30', '--atol', '0']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^FAIL: /m);
    expect(strict.stderr.trim()).toMatch(/^digit-train: gradient check failed: a gradient differs by .* times the tolerance \(atol 0, rtol 1e-30\)$/);
  });
});
