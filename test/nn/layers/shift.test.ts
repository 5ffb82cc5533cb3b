import { describe, expect, it } from 'vitest';
import { makeDigitSet } from '../../../src/data/dataset.js';
import { gatherShifted } from '../../../src/nn/layered-data.js';

describe('data augmentation: shifted images', () => {
  // two 3×4 images with distinct pixels
  const pixels = Uint8Array.from({ length: 24 }, (_, i) => i + 1);
  const set = makeDigitSet('t', pixels, new Uint8Array(2), 3, 4);
  const shifted = (e: number, dx: number, dy: number) => {
    const out = new Float64Array(2 + 12).fill(7); // the pixels go from offset 2; the rest is left alone
    gatherShifted(set, e, out, 2, dx, dy);
    expect(out[0]).toBe(7);
    expect(out[1]).toBe(7);
    return Array.from(out.subarray(2), (v) => Math.round(v * 255));
  };

  it('(0, 0) is the image itself; (1, 0) moves it right, (0, −1) up, zeros coming in', () => {
    expect(shifted(1, 0, 0)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(shifted(0, 1, 0)).toEqual([0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11]);
    expect(shifted(0, 0, -1)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0]);
    expect(shifted(0, -2, 1)).toEqual([0, 0, 0, 0, 3, 4, 0, 0, 7, 8, 0, 0]);
    expect(shifted(0, 4, 0)).toEqual(new Array(12).fill(0)); // shifted out entirely
  });
});
