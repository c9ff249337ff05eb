// `npm run bench -- scale`: cost of one invalidation through ummunotifyd with
// 1,000 vs 1,000,000 registrations in the daemon (DESIGN.md section 8,
// "Scale"), per engine: uffd on the host, device in a QEMU guest. The C
// program bench/scale/scale.c does the measuring (see its header comment);
// this file builds it, runs it in both places and checks the figures.
// The module's own half of "Scale" (its fd, no daemon) is bench/kernel;
// `--module` runs it too and reports its figures here as `module_*`.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { countSuffix, expectedFigures as moduleFigures, kernel as kernelBench, positiveInt } from '../kernel/index.ts';
import { BUNDLED_DAEMON, CLIENT_INCLUDE, REPO, bundleDaemon, checkRelease, clientLibs, collect, gcc, guestStdout, hostStdout, kernelOption } from '../native.ts';

export const BENCH = 'scale';
const SOURCE = join(REPO, 'bench', 'scale', 'scale.c');
const BINARY = join(REPO, 'build', 'bench', 'scale', 'scale');

export type Engine = 'uffd' | 'device';

/**
 * The figures scale.c prints for one engine and these registration counts:
 * the module benchmark's own (measured here through the daemon) and the
 * daemon's CPU.
 */
export function expectedFigures(engine: Engine, small: number, large: number): string[] {
  const daemonCpu = [small, large].map((n) => `daemon_cpu_ns_${countSuffix(n)}`);
  return [...moduleFigures(small, large), ...daemonCpu].map((f) => `${engine}_${f}`);
}

export interface Params {
  readonly kernel: string;
  readonly small: number;
  readonly large: number;
  /** The large count in the guest: filling 1M through the daemon under emulation takes minutes. */
  readonly guestLarge: number;
  readonly iters: number;
  readonly batches: number;
  readonly batch: number;
  readonly guest: boolean;
  readonly module: boolean;
}

export function params(o: OptionValues): Params {
  const kernel = kernelOption(o['kernel']);
  const large = positiveInt('large', o['large'], 1_000_000);
  const p: Params = {
    kernel,
    small: positiveInt('small', o['small'], 1000),
    large,
    guestLarge: positiveInt('guest-large', o['guest-large'], large),
    iters: positiveInt('iters', o['iters'], 2000),
    batches: positiveInt('batches', o['batches'], 5),
    batch: positiveInt('batch', o['batch'], 1000),
    guest: o['no-guest'] !== true,
    module: o['module'] === true,
  };
  // The figure names would collide, and the ratio would mean nothing.
  if (p.small >= p.large || p.small >= p.guestLarge) throw new Error('--small must be less than --large and --guest-large');
  // Whole registrations per Register call: the gRPC message must stay well under 4 MiB.
  if (p.batch > 50_000) throw new Error('--batch: at most 50000 ranges per Register call');
  return p;
}

/** scale.c's arguments; the guest gets fewer timed invalidations, each costing ~10x under emulation. */
export function programArgs(p: Params, engine: Engine): string[] {
  const iters = engine === 'device' ? Math.max(1, Math.floor(p.iters / 2)) : p.iters;
  return [
    ...['--engine', engine, '--small', String(p.small), '--large', String(engine === 'device' ? p.guestLarge : p.large)],
    ...['--iters', String(iters), '--batches', String(p.batches), '--warmup', String(Math.max(10, Math.floor(iters / 10))), '--batch', String(p.batch)],
  ];
}

/** bench/kernel's figures, renamed into this benchmark: `module_<name>`. */
export function asModuleFigures(figures: readonly Figure[]): Figure[] {
  return figures.map((f) => ({ ...f, bench: BENCH, figure: `module_${f.figure}` }));
}

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${CLIENT_INCLUDE}`], clientLibs());
}

export const scale: Benchmark = {
  name: BENCH,
  summary:
    'invalidation cost through the daemon with 1,000 vs 1,000,000 registrations: uffd on the host, device in a QEMU guest (target: ratio < 3); --module adds bench/kernel',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    small: { type: 'string', help: 'registrations in the small configuration (default 1000)' },
    large: { type: 'string', help: 'registrations in the large configuration (default 1000000)' },
    'guest-large': { type: 'string', help: 'the large configuration in the guest (default: --large; 1M takes minutes there)' },
    iters: { type: 'string', help: 'invalidations per timed batch (default 2000 on the host, half that in the guest)' },
    batches: { type: 'string', help: 'timed batches per configuration run (default 5)' },
    batch: { type: 'string', help: 'ranges per Register call while filling (default 1000)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
    module: { type: 'boolean', default: false, help: 'also run bench/kernel (the module alone) and report it as module_*' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    build();
    const host = await hostStdout(BINARY, programArgs(p, 'uffd'));
    const figures = collect(host, BENCH, expectedFigures('uffd', p.small, p.large), 'host');

    if (p.guest) {
      bundleDaemon();
      if (!existsSync(BUNDLED_DAEMON)) throw new Error(`${BUNDLED_DAEMON} is missing: npm run build:daemon`);
      const guest = await guestStdout(p.kernel, { UMMUNOTIFYD: BUNDLED_DAEMON }, [[BINARY, ...programArgs(p, 'device')]]);
      const device = collect(guest, BENCH, expectedFigures('device', p.small, p.guestLarge), 'guest');
      checkRelease(device.find((f) => f.figure === 'device_kernel_release')?.value, p.kernel);
      figures.push(...device);
    }

    if (p.module) {
      const module = await kernelBench.run({ kernel: p.kernel, small: String(p.small), large: String(p.large) });
      figures.push(...asModuleFigures(module));
    }
    return figures;
  },
};
