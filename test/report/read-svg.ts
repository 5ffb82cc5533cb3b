/** Reads back what the report's SVG line charts declare and draw (for the tests). */

/** The frame and domains a chart declares, and its series' points in SVG coordinates. */
export function readChart(svg: string) {
  const attr = (name: string) => new RegExp(`<svg[^>]*\\s${name}="([^"]*)"`).exec(svg)![1].split(' ').map(Number);
  const [x, y, width, height] = attr('data-frame');
  const series = new Map<string, [number, number][]>();
  for (const m of svg.matchAll(/<g class="series" data-series="([^"]+)"><polyline[^>]* points="([^"]*)"/g)) {
    series.set(
      m[1],
      m[2].split(' ').map((p) => p.split(',').map(Number) as [number, number]),
    );
  }
  const yTicks = [...svg.matchAll(/<text class="tick" x="[^"]*" y="([^"]*)" text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => [Number(m[1]), m[2]] as const);
  const xTicks = [...svg.matchAll(/<text class="tick" x="([^"]*)" y="[^"]*" text-anchor="middle">([^<]*)<\/text>/g)].map((m) => [Number(m[1]), m[2]] as const);
  return { frame: { x, y, width, height }, xDomain: attr('data-x-domain'), yDomain: attr('data-y-domain'), series, yTicks, xTicks };
}

/** Where a data point must be drawn: x from the left edge, y from the bottom edge of the frame. */
export function expectedAt(c: ReturnType<typeof readChart>, px: number, py: number): [number, number] {
  const [x0, x1] = c.xDomain;
  const [y0, y1] = c.yDomain;
  return [c.frame.x + ((px - x0) / (x1 - x0)) * c.frame.width, c.frame.y + c.frame.height * (1 - (py - y0) / (y1 - y0))];
}
