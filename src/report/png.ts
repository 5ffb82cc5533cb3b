/**
 * Small images for the report as inline PNG data URIs (encoded by pngjs): digits as ink on
 * paper, and weights in a diverging palette (red negative, white 0, blue positive).
 */
import { PNG } from 'pngjs';

/** A PNG data URI of an RGB image given as a function of (row, col); with `scale` > 1 every pixel drawn as a scale × scale square. */
export function pngDataUri(rows: number, cols: number, rgb: (r: number, c: number) => [number, number, number], scale = 1): string {
  const width = cols * scale;
  const height = rows * scale;
  const png = new PNG({ width, height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = rgb(r, c);
      for (let y = r * scale; y < (r + 1) * scale; y++) {
        for (let x = c * scale; x < (c + 1) * scale; x++) {
          const at = (y * width + x) * 4;
          png.data[at] = R;
          png.data[at + 1] = G;
          png.data[at + 2] = B;
          png.data[at + 3] = 255;
        }
      }
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true }).toString('base64')}`;
}

/** Image `index` of a set of bytes (255 = ink), drawn dark on white. */
export function digitPng(pixels: ArrayLike<number>, at: number, rows: number, cols: number): string {
  return pngDataUri(rows, cols, (r, c) => {
    const v = 255 - pixels[at + r * cols + c];
    return [v, v, v];
  });
}

/**
 * Weights of one neuron drawn as an image: w / max|w| in a diverging palette, so each image
 * uses its full range. `weight(i)` is the weight from input pixel i.
 */
export function weightsPng(weight: (i: number) => number, rows: number, cols: number, scale = 1): string {
  let max = 0;
  for (let i = 0; i < rows * cols; i++) max = Math.max(max, Math.abs(weight(i)));
  return pngDataUri(rows, cols, (r, c) => diverging(max ? weight(r * cols + c) / max : 0), scale);
}

/** v in [0, 1] → ink on paper: white (0) … black (1). */
export function ink(v: number): [number, number, number] {
  const g = 255 - Math.round(255 * Math.max(0, Math.min(1, v)));
  return [g, g, g];
}

/** t in [−1, 1] → red (−1) … white (0) … blue (+1). */
export function diverging(t: number): [number, number, number] {
  const k = Math.max(-1, Math.min(1, t));
  const [R, G, B] = k < 0 ? [178, 24, 43] : [33, 102, 172];
  const a = Math.abs(k);
  return [Math.round(255 + (R - 255) * a), Math.round(255 + (G - 255) * a), Math.round(255 + (B - 255) * a)];
}
