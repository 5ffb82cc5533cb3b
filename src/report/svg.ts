/**
 * Small SVG pictures for the HTML report, as strings: a line chart with axes, ticks and
 * labels, and a heat map of a confusion matrix. Pure functions, no DOM; every number and text
 * that comes from data is escaped.
 */

/** Text made safe for HTML and XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** A coordinate with at most two decimals (short SVG, sub-pixel exact enough). */
export const num = (v: number): string => String(Math.round(v * 100) / 100);

/** [min, max] of many values, by a loop (spreading 200,000 values into Math.min overflows the stack). */
function extent(values: number[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten, about
 * `count` of them. The first tick is ≤ min and the last ≥ max.
 */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  if (!(max > min)) {
    const pad = integer ? 1 : Math.abs(min) * 0.05 || 0.05;
    // Beyond 2^53 a pad of 1 changes nothing: one tick, not endless recursion.
    return min - pad < max + pad ? niceTicks(min - pad, max + pad, count, integer) : [min];
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const lo = Math.floor(min / step + 1e-9);
  const hi = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Rounded to the step's decimals: 3 × 0.1 is 0.3, not 0.30000000000000004.
  const decimals = Math.min(20, Math.max(0, Math.ceil(-Math.log10(step))) + 1);
  // Counted (at most 1000), not i++ from lo: beyond 2^53 i++ would not move.
  for (let k = 0; k <= hi - lo && k < 1000; k++) ticks.push(Number(((lo + k) * step).toFixed(decimals)));
  return ticks;
}

export interface LineSeries {
  name: string;
  /** CSS colour. */
  colour: string;
  /** SVG stroke-dasharray, e.g. "6 3" (solid when absent). */
  dash?: string;
  /** [x, y] points in data units, in x order. */
  points: [number, number][];
}

export interface LineChartOptions {
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  /** Tick and tooltip text of a y value. */
  yFormat?: (v: number) => string;
  /** Clamp the y axis to this range (e.g. [0, 1] for accuracies). */
  yClamp?: [number, number];
  width?: number;
  height?: number;
  /** Accessible name of the picture. */
  title: string;
}

/** Where the plot area of a line chart lies and which data ranges its edges stand for. */
export interface ChartFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  xDomain: [number, number];
  yDomain: [number, number];
}

/** Maps a data point to SVG coordinates in a frame (y grows downwards in SVG). */
export function project(frame: ChartFrame, px: number, py: number): [number, number] {
  const [x0, x1] = frame.xDomain;
  const [y0, y1] = frame.yDomain;
  return [frame.x + ((px - x0) / (x1 - x0)) * frame.width, frame.y + frame.height - ((py - y0) / (y1 - y0)) * frame.height];
}

/**
 * A line chart: one polyline per series with a dot (and a tooltip) at every point, axes with
 * round ticks, axis labels and a legend. The <svg> carries the frame as data attributes
 * (data-frame="x y width height", data-x-domain, data-y-domain), so that tests can check
 * every point's position.
 */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 300;
  const fmt = o.yFormat ?? ((v: number) => String(v));
  const series = o.series.filter((s) => s.points.length > 0);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  if (xs.length === 0) return '';

  const [xMin, xMax] = extent(xs);
  const xTicks = niceTicks(xMin, xMax, 8, true).filter((t) => t >= Math.floor(xMin) && t <= Math.ceil(xMax));
  // The x axis spans exactly the data (first to last epoch), or ±½ around a single point.
  const xDomain: [number, number] = xMax > xMin ? [xMin, xMax] : [xMin - 0.5, xMax + 0.5];
  const [yMin, yMax] = extent(ys);
  let yTicks = niceTicks(yMin, yMax, 5);
  if (o.yClamp) {
    const [lo, hi] = o.yClamp;
    yTicks = yTicks.filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
    if (yTicks.length < 2) yTicks = niceTicks(Math.max(lo, yMin), Math.min(hi, yMax), 5);
  }
  const yDomain: [number, number] = [yTicks[0], yTicks[yTicks.length - 1]];
  const tickWidth = Math.max(...yTicks.map((t) => fmt(t).length));
  const left = 28 + 7 * tickWidth;
  const frame: ChartFrame = { x: left, y: 34, width: width - left - 18, height: height - 34 - 46, xDomain, yDomain };
  const bottom = frame.y + frame.height;
  const right = frame.x + frame.width;

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(o.title)}"` +
      ` data-frame="${num(frame.x)} ${num(frame.y)} ${num(frame.width)} ${num(frame.height)}" data-x-domain="${xDomain.join(' ')}" data-y-domain="${yDomain.join(' ')}">`,
  );
  parts.push(`<title>${escapeXml(o.title)}</title>`);
  // Grid and y ticks.
  for (const t of yTicks) {
    const [, y] = project(frame, xDomain[0], t);
    parts.push(`<line class="grid" x1="${num(frame.x)}" y1="${num(y)}" x2="${num(right)}" y2="${num(y)}"/>`);
    parts.push(`<text class="tick" x="${num(frame.x - 6)}" y="${num(y)}" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(t))}</text>`);
  }
  for (const t of xTicks) {
    const [x] = project(frame, t, yDomain[0]);
    parts.push(`<line class="tick-mark" x1="${num(x)}" y1="${num(bottom)}" x2="${num(x)}" y2="${num(bottom + 5)}"/>`);
    parts.push(`<text class="tick" x="${num(x)}" y="${num(bottom + 18)}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<path class="axis" d="M${num(frame.x)} ${num(frame.y)}V${num(bottom)}H${num(right)}"/>`);
  parts.push(`<text class="axis-label" x="${num(frame.x + frame.width / 2)}" y="${num(height - 6)}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  parts.push(
    `<text class="axis-label" transform="translate(14 ${num(frame.y + frame.height / 2)}) rotate(-90)" text-anchor="middle" dominant-baseline="middle">${escapeXml(o.yLabel)}</text>`,
  );
  // Legend, top right.
  let lx = right;
  const legend: string[] = [];
  for (const s of [...series].reverse()) {
    const w = 30 + 7 * s.name.length;
    lx -= w + 12;
    legend.push(
      `<g class="legend-item"><line x1="${num(lx)}" y1="16" x2="${num(lx + 22)}" y2="16" stroke="${s.colour}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>` +
        `<text x="${num(lx + 28)}" y="16" dominant-baseline="middle">${escapeXml(s.name)}</text></g>`,
    );
  }
  parts.push(`<g class="legend">${legend.reverse().join('')}</g>`);
  // The series.
  const dots = series.every((s) => s.points.length <= 60);
  for (const s of series) {
    const pts = s.points.map(([px, py]) => project(frame, px, py));
    parts.push(
      `<g class="series" data-series="${escapeXml(s.name)}"><polyline fill="none" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}` +
        ` points="${pts.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}"/>`,
    );
    s.points.forEach(([px, py], i) => {
      const [x, y] = pts[i];
      parts.push(`<circle cx="${num(x)}" cy="${num(y)}" r="${dots ? 3 : 1.5}" fill="${s.colour}"><title>${escapeXml(`${o.xLabel} ${px}: ${s.name} ${fmt(py)}`)}</title></circle>`);
    });
    parts.push('</g>');
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** A colour between white and `rgb` at intensity t in [0, 1]. */
function tintRgb(rgb: [number, number, number], t: number): [number, number, number] {
  const k = Math.max(0, Math.min(1, t));
  const mix = (c: number) => Math.round(255 + (c - 255) * k);
  return [mix(rgb[0]), mix(rgb[1]), mix(rgb[2])];
}

function tint(rgb: [number, number, number], t: number): string {
  return `rgb(${tintRgb(rgb, t).join(',')})`;
}

/** WCAG relative luminance of an sRGB colour. */
function luminance(rgb: [number, number, number]): number {
  const [r, g, b] = rgb.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Whether white text reads better than black on `rgb` (the larger WCAG contrast; either is ≥ 4.58 on some side). */
function whiteTextOn(rgb: [number, number, number]): boolean {
  const l = luminance(rgb);
  return 1.05 / (l + 0.05) > (l + 0.05) / 0.05;
}

const CORRECT_RGB: [number, number, number] = [0, 92, 160];
const WRONG_RGB: [number, number, number] = [200, 40, 30];

/**
 * The confusion matrix as a heat map: rows are the true labels, columns the predictions, each
 * cell's count written in it. Diagonal cells (right answers) are blue by the share of their row;
 * the others red by their count against the largest mistake count, so that the mistakes stand
 * out even when they are 1 % of the images. Each cell's <rect> carries data-count.
 */
export function confusionHeatMap(confusion: number[][], title = 'Confusion matrix'): string {
  const n = confusion.length;
  const cell = n <= 10 ? 40 : Math.max(14, Math.floor(400 / n));
  const left = 56;
  const top = 56;
  const width = left + n * cell + 12;
  const height = top + n * cell + 12;
  const rowSums = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  let maxOff = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) maxOff = Math.max(maxOff, confusion[i][j]);
  const parts: string[] = [];
  parts.push(`<svg class="heatmap" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`);
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<text class="axis-label" x="${left + (n * cell) / 2}" y="14" text-anchor="middle">predicted</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${top + (n * cell) / 2}) rotate(-90)" text-anchor="middle" dominant-baseline="middle">true label</text>`);
  for (let j = 0; j < n; j++) parts.push(`<text class="tick" x="${left + j * cell + cell / 2}" y="${top - 10}" text-anchor="middle">${j}</text>`);
  for (let i = 0; i < n; i++) parts.push(`<text class="tick" x="${left - 10}" y="${top + i * cell + cell / 2}" text-anchor="end" dominant-baseline="middle">${i}</text>`);
  const digits = String(Math.max(0, ...confusion.flat())).length;
  const fontSize = cell >= 36 ? (digits <= 4 ? 11 : 9) : 8;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const count = confusion[i][j];
      const t = i === j ? (rowSums[i] ? count / rowSums[i] : 0) : maxOff ? Math.sqrt(count / maxOff) : 0;
      const fill = count === 0 ? '#fafafa' : tint(i === j ? CORRECT_RGB : WRONG_RGB, i === j ? t : 0.12 + 0.88 * t);
      const dark = count > 0 && whiteTextOn(tintRgb(i === j ? CORRECT_RGB : WRONG_RGB, i === j ? t : 0.12 + 0.88 * t));
      const x = left + j * cell;
      const y = top + i * cell;
      const what = i === j ? 'right' : 'wrong';
      parts.push(
        `<g class="cell ${what}"><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" data-true="${i}" data-predicted="${j}" data-count="${count}">` +
          `<title>true ${i}, predicted ${j}: ${count} image${count === 1 ? '' : 's'}</title></rect>` +
          (count > 0 && cell >= 20
            ? `<text x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dominant-baseline="central" font-size="${fontSize}" class="${dark ? 'on-dark' : 'on-light'}" fill="${dark ? '#fff' : '#000'}">${count}</text>`
            : '') +
          '</g>',
      );
    }
  }
  parts.push(`<rect class="frame" x="${left}" y="${top}" width="${n * cell}" height="${n * cell}" fill="none"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}
