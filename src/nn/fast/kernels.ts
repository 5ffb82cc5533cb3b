/** The fast backend's kernels: one interface, two implementations (assembly/, in WebAssembly SIMD; plain.ts, in TypeScript). */

/**
 * The matrix loops over one memory; every p… argument is a byte address in it (see
 * assembly/kernels.ts for what each computes, plain.ts for the readable loops).
 */
export interface FastKernels {
  denseForwardSparse(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  denseUpdateSparse(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  denseForward(pW: number, pB: number, pA: number, pZ: number, m: number, nIn: number, nOut: number): void;
  denseBackwardInput(pW: number, pUp: number, pD: number, m: number, n: number, nUp: number): void;
  denseUpdate(pW: number, pA: number, pD: number, m: number, nIn: number, nOut: number): void;
  scale(pX: number, n: number, c: number): void;
  addScaled(pX: number, pY: number, n: number, c: number): void;
  // the rest of a step (assembly/steps.ts)
  gatherSparse(pStart: number, pIndex: number, pValue: number, pLabels: number, pPixel: number, pE: number, m: number, n1: number, pV: number, pR: number, pS: number, pY: number): void;
  sigmoid(pZ: number, pA: number, n: number): void;
  sigmoidDerivative(pA: number, pD: number, n: number): void;
  quadraticSigmoid(pA: number, pD: number, pY: number, m: number, n: number, sum: number): number;
  addRows(pB: number, pD: number, m: number, n: number): void;
  /** denseForwardSparse and denseUpdateSparse row by row, for wide layers (the same results); the update only for the rows of W starting at element lo ≤ xRow[q] < hi. */
  denseForwardSparseRows(pW: number, pB: number, pZ: number, pV: number, pR: number, pS: number, m: number, H: number): void;
  denseUpdateSparseRows(pW: number, pD: number, pV: number, pR: number, pS: number, m: number, H: number, lo: number, hi: number): void;
}
