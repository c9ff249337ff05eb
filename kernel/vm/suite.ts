// Pure helpers of `npm run test:kernel` (kernel/vm/test-kernel.ts).

import type { TapVerdict } from './tap.ts';

export const DEFAULT_KERNELS: readonly string[] = ['6.1', '6.12'];

export interface TestKernelArgs {
  readonly kernels: readonly string[];
  /** Passed to the selftest, which runs only the cases whose names contain one of them. */
  readonly filters: readonly string[];
}

export function parseTestKernelArgs(argv: readonly string[]): TestKernelArgs | string {
  const kernels: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return { kernels: kernels.length > 0 ? kernels : DEFAULT_KERNELS, filters: argv.slice(i + 1) };
    if (arg === '--kernel' && argv[i + 1] !== undefined) {
      kernels.push(argv[++i] as string);
    } else if (arg.startsWith('--kernel=')) {
      kernels.push(arg.slice('--kernel='.length));
    } else {
      return `unexpected argument ${JSON.stringify(arg)}; usage: npm run test:kernel -- [--kernel K]... [-- FILTER...]`;
    }
  }
  return { kernels: kernels.length > 0 ? kernels : DEFAULT_KERNELS, filters: [] };
}

/** The one line CI reads. */
export function totalsLine(verdicts: readonly TapVerdict[]): string {
  const passed = verdicts.reduce((n, v) => n + v.passed, 0);
  const failed = verdicts.reduce((n, v) => n + v.failed, 0);
  return `${passed} passed, ${failed} failed`;
}
