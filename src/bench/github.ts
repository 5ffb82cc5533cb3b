/**
 * A bench result as the JSON array that benchmark trackers read (github-action-benchmark's
 * customSmallerIsBetter tool): [{name, unit, value, range?, extra?}], one entry per workload
 * and figure, every figure one where smaller is better.
 */
import type { BenchResult } from './bench.js';

export interface BenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  /** Spread of the measurements, e.g. "± 0.012" (half of max − min). */
  range?: string;
  extra?: string;
}

const spread = (xs: number[]): string | undefined => (xs.length > 1 ? `± ${((Math.max(...xs) - Math.min(...xs)) / 2).toPrecision(3)}` : undefined);

export function githubActionBenchmark(r: BenchResult): BenchmarkEntry[] {
  const machine = `Node ${r.node}, ${r.cpu} (${r.cores} cores), digit-train ${r.version}`;
  const out: BenchmarkEntry[] = [];
  const push = (e: BenchmarkEntry) => out.push(e.range === undefined ? (({ range: _r, ...rest }) => rest)(e) : e);
  for (const w of r.workloads) {
    push({
      name: `${w.name}: train seconds per epoch`,
      unit: 's',
      value: w.trainSeconds,
      range: spread(w.trainSecondsAll),
      extra: `median of ${w.trainSecondsAll.length} epochs of ${w.trainImages} images; test accuracy ${(100 * w.testAccuracy).toFixed(2)}%; ${machine}`,
    });
    push({ name: `${w.name}: evaluation seconds (test set)`, unit: 's', value: w.evalSeconds, extra: machine });
    if (w.reference) {
      push({
        name: `${w.name}: ratio to the C reference`,
        unit: 'ratio',
        value: w.reference.ratio,
        range: spread(w.reference.ratios),
        extra: `median of ${w.reference.ratios.length} interleaved rounds; ${machine}`,
      });
    }
  }
  push({ name: 'data load seconds', unit: 's', value: r.loadSeconds, extra: machine });
  push({ name: 'start-up seconds (--help)', unit: 's', value: r.startupSeconds, extra: `median of 5 runs; ${machine}` });
  push({ name: 'peak RSS', unit: 'MB', value: r.peakRssMB, extra: machine });
  return out;
}
