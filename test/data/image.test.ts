import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadMnist } from '../../src/data/mnist.js';
import { decodeImage, decodePgm, decodePng, encodePgm, ImageError, lightBackground, readImage, resample, toDigit, type GreyImage } from '../../src/data/image.js';
import { tempDir } from '../helpers.js';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** A PNG written by pngjs from RGBA bytes, with the given colour type (0 grey, 2 RGB, 6 RGBA). */
function png(width: number, height: number, rgba: number[], colorType: 0 | 2 | 6 = 6): Uint8Array {
  const p = new PNG({ width, height });
  p.data = Buffer.from(rgba);
  return new Uint8Array(PNG.sync.write(p, { colorType, inputHasAlpha: true }));
}

/** An image of w×h, background `bg`, with the rectangle [x0, x1) × [y0, y1) set to `ink`. */
function rect(w: number, h: number, bg: number, ink: number, x0: number, y0: number, x1: number, y1: number): GreyImage {
  const pixels = new Float64Array(w * h).fill(bg);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) pixels[y * w + x] = ink;
  return { width: w, height: h, pixels };
}

/** Bounding box of the non-zero bytes of a side×side image, and their centre of mass. */
function inkBox(out: Uint8Array, side = 28) {
  let x0 = side, y0 = side, x1 = -1, y1 = -1, m = 0, mx = 0, my = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = out[y * side + x];
      if (!v) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
      m += v;
      mx += v * x;
      my += v * y;
    }
  }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1, x0, y0, x1, y1, cx: mx / m, cy: my / m };
}

describe('PGM decoding', () => {
  it('reads P2 with comments and any maxval, 0 black and maxval white', () => {
    const img = decodePgm(ascii('P2\n# a comment\n3 2 # width height\n15\n0 15 5\n# between pixels\n10 1  3\n'), 'a.pgm');
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(Array.from(img.pixels)).toEqual([0, 1, 5 / 15, 10 / 15, 1 / 15, 3 / 15]);
  });

  it('reads P5 with one byte per pixel and with two (big-endian) above maxval 255', () => {
    const eight = decodePgm(new Uint8Array([...ascii('P5 2 2 255\n'), 0, 255, 51, 102]), 'b.pgm');
    expect(Array.from(eight.pixels)).toEqual([0, 1, 0.2, 0.4]);
    const sixteen = decodePgm(new Uint8Array([...ascii('P5\n2 1\n65535\n'), 0xff, 0xff, 0x80, 0x00]), 'c.pgm');
    expect(Array.from(sixteen.pixels)).toEqual([1, 0x8000 / 65535]);
    // a first pixel byte that looks like whitespace is still a pixel
    expect(Array.from(decodePgm(new Uint8Array([...ascii('P5 1 1 255\n'), 0x20]), 'd.pgm').pixels)).toEqual([0x20 / 255]);
  });

  it('reads back what encodePgm writes', () => {
    const pixels = Uint8Array.from({ length: 12 }, (_, i) => i * 20);
    const img = decodeImage(encodePgm(pixels, 4, 3), 'e.pgm');
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(Array.from(img.pixels, (v) => Math.round(v * 255))).toEqual(Array.from(pixels));
  });

  const bad: [string, Uint8Array, string][] = [
    ['a P6 (colour) file', ascii('P6 1 1 255\n\0\0\0'), 'not a PGM file (it should start with P2 or P5)'],
    ['a truncated P5', new Uint8Array([...ascii('P5 3 3 255\n'), 1, 2, 3]), 'truncated: 14 bytes, the header (3x3, maxval 255) needs 20'],
    ['a truncated P2', ascii('P2 2 2 9\n1 2 3'), 'truncated: 3 of 4 pixels'],
    ['a pixel above maxval', ascii('P2 2 1 9\n1 12'), 'pixel 1 is 12, above maxval 9'],
    ['a width that is not a number', ascii('P2 two 1 9\n1 2'), 'width "two" is not a whole number'],
    ['a zero height', ascii('P2 2 0 9\n'), 'image size 2x0 is not plausible'],
    ['maxval 0', ascii('P5 1 1 0\n\0'), 'maxval 0 is not from 1 to 65535'],
    ['a missing maxval', ascii('P2 1 1'), 'truncated: maxval missing'],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what}, naming the file`, () => {
      expect(() => decodePgm(bytes, 'x.pgm')).toThrow(ImageError);
      expect(() => decodePgm(bytes, 'x.pgm')).toThrow(`x.pgm: ${message}`);
    });
  }
});

describe('PNG decoding (pngjs)', () => {
  it('grey, RGB and RGBA files: luminance 0.299 R + 0.587 G + 0.114 B, transparency over white', () => {
    const rgba = [0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128, 40, 40, 40, 255];
    const img = decodePng(png(3, 2, rgba, 6), 'a.png');
    expect([img.width, img.height]).toEqual([3, 2]);
    const expected = [0, 1, 0.299, 1, 1 - 128 / 255, 40 / 255];
    img.pixels.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    // RGB (colour type 2)
    const rgb = decodePng(png(3, 2, [0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 40, 40, 40, 255], 2), 'b.png');
    const opaque = [0, 1, 0.299, 0.587, 0.114, 40 / 255];
    rgb.pixels.forEach((v, i) => expect(v).toBeCloseTo(opaque[i], 12));
    // grey (colour type 0): pngjs stores the red channel as the grey level
    const grey = decodePng(png(2, 1, [0, 0, 0, 255, 200, 200, 200, 255], 0), 'c.png');
    expect(Array.from(grey.pixels, (v) => Math.round(v * 255))).toEqual([0, 200]);
  });

  it('recognises PNG and PGM by their first bytes, whatever the file is called', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'digit.pgm'), png(1, 1, [255, 255, 255, 255]));
    writeFileSync(join(dir, 'digit.png'), ascii('P2 1 1 1\n0'));
    expect(Array.from(readImage(join(dir, 'digit.pgm')).pixels)).toEqual([1]);
    expect(Array.from(readImage(join(dir, 'digit.png')).pixels)).toEqual([0]);
  });

  it('rejects a corrupt PNG, an unknown format and a missing file, naming the file', () => {
    const good = png(2, 2, new Array(16).fill(255));
    const corrupt = good.slice(0, 30);
    expect(() => decodeImage(corrupt, 'bad.png')).toThrow(/^bad\.png: not a readable PNG \(/);
    expect(() => decodeImage(ascii('GIF89a......'), 'x.gif')).toThrow('x.gif: not a PNG or PGM (P2/P5) image');
    expect(() => readImage('/nonexistent/d.png')).toThrow('/nonexistent/d.png: no such file');
  });
});

describe('to a 28×28 MNIST digit', () => {
  it('crops to the ink, fits the longer side into 20 pixels keeping the aspect ratio, centres the mass at (14, 14)', () => {
    // a 40×20 white bar on black in a 100×60 picture, off-centre
    const out = toDigit(rect(100, 60, 0, 1, 10, 5, 50, 25));
    expect(out).toHaveLength(784);
    const box = inkBox(out);
    expect([box.width, box.height]).toEqual([20, 10]);
    // shifted by whole pixels: the centre of mass lands within half a pixel of (14, 14)
    expect(Math.abs(box.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(box.cy - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...Array.from(out).filter((v) => v > 0))).toBe(255);
    // a tall one
    const tall = inkBox(toDigit(rect(30, 90, 0, 1, 5, 3, 15, 63)));
    expect([tall.width, tall.height]).toEqual([Math.round(10 * (20 / 60)), 20]);
  });

  it('enlarges small pictures, and anti-aliases when the scale is not whole', () => {
    const small = inkBox(toDigit(rect(5, 7, 0, 1, 1, 1, 4, 6)));
    expect([small.width, small.height]).toEqual([12, 20]);
    // a 3×3 checkerboard into 2×2: each new cell covers 1.5×1.5 old ones: a corner (1) whole,
    // two edge cells (0) by halves and the middle (1) by a quarter, 2.25 cells in all
    const checker = Float64Array.from([1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const r = resample(checker, 3, 3, 2, 2);
    expect(Array.from(r)).toEqual(Array.from({ length: 4 }, () => expect.closeTo((1 + 0.25) / 2.25, 12)));
    // shrinking by a whole factor averages blocks exactly
    expect(Array.from(resample(Float64Array.from([1, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]), 4, 2, 2, 1))).toEqual([0.5, 0.25]);
  });

  it('--invert: a dark digit on light paper gives what the light digit on black gives', () => {
    const light = rect(50, 40, 0, 0.8, 12, 6, 30, 33);
    const dark = rect(50, 40, 1, 0.2, 12, 6, 30, 33);
    expect(Array.from(toDigit(dark, { invert: true }))).toEqual(Array.from(toDigit(light)));
    expect(lightBackground(dark)).toBe(true);
    expect(lightBackground(light)).toBe(false);
  });

  it('levels: a grey background becomes black and the brightest ink white', () => {
    const out = toDigit(rect(40, 40, 0.3, 0.7, 10, 10, 20, 30));
    const values = new Set(out);
    expect(values).toEqual(new Set([0, 255]));
  });

  it('keeps all the ink inside the frame when the mass is far off the middle of the box', () => {
    // a thin 40-pixel line with a heavy block at its right end: the centre of mass is near the right
    const img = rect(60, 30, 0, 0.15, 5, 10, 45, 11);
    for (let y = 5; y < 20; y++) for (let x = 35; x < 45; x++) img.pixels[y * 60 + x] = 1;
    const box = inkBox(toDigit(img));
    expect(box.width).toBe(20);
    expect(box.x0).toBeGreaterThanOrEqual(0);
    expect(box.x1).toBeLessThan(28);
  });

  it('a picture without ink gives a black image', () => {
    expect(toDigit(rect(10, 10, 0.5, 0.5, 0, 0, 0, 0)).every((v) => v === 0)).toBe(true);
  });

  it('MNIST digits, already 20×20 in 28×28 and centred by mass, come through almost unchanged', () => {
    const { test } = loadMnist();
    let unchanged = 0;
    let diff = 0;
    const n = 300;
    for (let e = 0; e < n; e++) {
      const px = test.images.subarray(e * 784, (e + 1) * 784);
      const out = toDigit({ width: 28, height: 28, pixels: Float64Array.from(px, (v) => v / 255) });
      let d = 0;
      for (let i = 0; i < 784; i++) d += Math.abs(out[i] - px[i]);
      if (d === 0) unchanged++;
      diff += d / 784;
    }
    // (with the centre of mass put at 13.5 instead, none is unchanged and the mean difference is 15)
    expect(unchanged / n).toBeGreaterThan(0.6);
    expect(diff / n).toBeLessThan(0.5); // grey levels of 0..255, per pixel
  });
});
