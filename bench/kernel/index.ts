// `npm run bench -- kernel`: cost of one invalidation with 1,000 vs 1,000,000
// registrations in one ummunotify fd (DESIGN.md section 8, "Scale"), measured
// in ONE guest boot so the two numbers share a machine state. The C program
// (bench/kernel/invalidation.c) does the measuring and prints the figures;
// this file builds it on the host, runs it in the guest through the VM
// harness, and takes the figures back out of the guest's console output.

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { REPO, UAPI, checkRelease, collect, gcc, kernelOption, runInGuest } from '../native.ts';

const SOURCE = join(REPO, 'bench', 'kernel', 'invalidation.c');
const BINARY = join(REPO, 'build', 'bench', 'kernel', 'invalidation');

export const BENCH = 'kernel';

/** Same rule as count_suffix() in invalidation.c: 1000 -> "1k", 1000000 -> "1m". */
export function countSuffix(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  if (n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}

/** The figures the C program must print for these registration counts. */
export function expectedFigures(small: number, large: number): string[] {
  const s = countSuffix(small);
  const l = countSuffix(large);
  return [
    'kernel_release',
    'invalidation_ns_unwatched',
    `invalidation_ns_${s}`,
    `invalidation_ns_${l}`,
    `added_ns_${s}`,
    `added_ns_${l}`,
    `ratio_${l}_over_${s}`,
    `register_ns_${l}`,
  ];
}

/** A positive integer option, or an Error naming the option. */
export function positiveInt(name: string, v: string | boolean | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^[1-9]\d*$/.test(v)) throw new Error(`--${name}: expected a positive integer, got ${String(v)}`);
  return Number(v);
}

interface Params {
  readonly kernel: string;
  readonly small: number;
  readonly large: number;
  readonly iters: number;
  readonly batches: number;
}

export function params(o: OptionValues): Params {
  const p = {
    kernel: kernelOption(o['kernel']),
    small: positiveInt('small', o['small'], 1000),
    large: positiveInt('large', o['large'], 1_000_000),
    iters: positiveInt('iters', o['iters'], 10000),
    batches: positiveInt('batches', o['batches'], 7),
  };
  // The figure names would collide, and the ratio would mean nothing.
  if (p.small >= p.large) throw new Error('--small must be less than --large');
  return p;
}

function build(): void {
  // Built on the host: the guest sees the host's root (and so its libc) read-only.
  gcc(BINARY, [SOURCE], [`-I${UAPI}`], []);
}

export const kernel: Benchmark = {
  name: BENCH,
  summary: 'cost of one invalidation with 1,000 vs 1,000,000 registrations in the fd (target: ratio < 3), in a QEMU guest',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel, as `npm run vm -- --kernel` takes it (6.12 or 6.1)' },
    small: { type: 'string', help: 'registrations in the small configuration (default 1000)' },
    large: { type: 'string', help: 'registrations in the large configuration (default 1000000)' },
    iters: { type: 'string', help: 'invalidations per timed batch (default 10000)' },
    batches: { type: 'string', help: 'timed batches per configuration run (default 7)' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    build();
    const programArgs = ['--small', String(p.small), '--large', String(p.large), '--iters', String(p.iters), '--batches', String(p.batches)];
    const { code, stdout } = await runInGuest(p.kernel, BINARY, programArgs);
    if (code !== 0) throw new Error(`guest run exited with status ${String(code)}`);
    const figures = collect(stdout, BENCH, expectedFigures(p.small, p.large), 'guest');
    checkRelease(figures.find((f) => f.figure === 'kernel_release')?.value, p.kernel);
    return figures;
  },
};
