import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, COSTS, OUTPUTS } from '../../src/nn/functions.js';
import { run } from './run.js';

describe('digit-train gradcheck', () => {
  for (const activation of ACTIVATIONS) {
    for (const output of OUTPUTS) {
      for (const cost of COSTS) {
        it(`${activation}/${output}/${cost}: every gradient within 1e-6 on real digits`, () => {
          const r = run(['gradcheck', '--hidden', '4,3', '--samples', '2', '--activation', activation, '--output', output, '--cost', cost, '--json']);
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          const result = JSON.parse(r.stdout);
          expect(result.sizes).toEqual([784, 4, 3, 10]);
          expect(result.parameters).toBe(784 * 4 + 4 + 4 * 3 + 3 + 3 * 10 + 10);
          expect(result.layers).toHaveLength(3);
          expect(result.worst).toBeLessThan(1e-6);
          expect(result.pass).toBe(true);
        });
      }
    }
  }

  it('prints a table and exits 1 above the threshold', () => {
    const ok = run(['gradcheck', '--hidden', '3', '--samples', '1']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/W\^1 \(3×784\) {2}weights \d\.\d\de-\d+ {3}biases/);
    expect(ok.stdout).toMatch(/^pass: all within/m);
    const strict = run(['gradcheck', '--hidden', '3', '--samples', '1', '--threshold', '1e-30']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^FAIL: /m);
    expect(strict.stderr.trim()).toMatch(/^digit-train: gradient check failed: relative error .* above 1e-30$/);
  });
});
