/**
 * The seeded generator behind every random choice (initial weights, shuffles): mulberry32,
 * the same generator as the C reference in bench/reference.c, so the same seed draws the same
 * numbers there and here. Its whole state is one 32-bit integer, which the model file stores
 * so that a resumed run draws exactly what an uninterrupted run would have drawn.
 */
export class Random {
  constructor(public state: number) {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal N(0, 1) by Box–Muller, one value per pair of uniforms (as the reference). */
  gauss(): number {
    let u1 = this.next();
    const u2 = this.next();
    if (u1 < 1e-300) u1 = 1e-300;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle of `order` in place. */
  shuffle(order: Int32Array): void {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
}
