/**
 * Digits drawn in the terminal: two pixel rows per text line with the upper half block ▀,
 * its foreground the upper pixel's grey and its background the lower one's. Without colour,
 * one shade character (" ░▒▓█") per pair of pixels.
 */
import type { ChalkInstance } from 'chalk';

const SHADES = ' ░▒▓█';

/**
 * Lines of text drawing a rows×cols image of bytes 0..255 (white digit on black, as MNIST),
 * read from `pixels` at offset `at`. With colours (c.level > 0) each line holds two pixel rows.
 */
export function drawDigit(pixels: ArrayLike<number>, at: number, rows: number, cols: number, c: ChalkInstance): string[] {
  const lines: string[] = [];
  for (let r = 0; r < rows; r += 2) {
    let line = '';
    for (let k = 0; k < cols; k++) {
      const top = pixels[at + r * cols + k];
      const bottom = r + 1 < rows ? pixels[at + (r + 1) * cols + k] : 0;
      if (c.level > 0) line += c.rgb(top, top, top).bgRgb(bottom, bottom, bottom)('▀');
      else line += SHADES[Math.min(4, Math.round(((top + bottom) / 2 / 255) * 4))];
    }
    lines.push(line);
  }
  return lines;
}

/** Lays blocks of lines side by side with `gap` spaces between them. */
export function sideBySide(blocks: string[][], widths: number[], gap = 3): string[] {
  const height = Math.max(...blocks.map((b) => b.length));
  const out: string[] = [];
  for (let i = 0; i < height; i++) {
    out.push(
      blocks
        .map((b, n) => {
          const line = b[i] ?? '';
          const visible = line.replace(/\x1b\[[0-9;]*m/g, '').length;
          return n === blocks.length - 1 ? line : line + ' '.repeat(Math.max(0, widths[n] - visible) + gap);
        })
        .join(''),
    );
  }
  return out;
}

/** A horizontal bar of `fraction` (0..1) of `width` cells, in eighths of a block. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const rest = eighths % 8;
  return '█'.repeat(full) + (rest ? '▏▎▍▌▋▊▉'[rest - 1] : '');
}
