// `npm run bench -- storm`: memory of the daemon and of the module before and
// after 1,000,000 invalidations that nobody reads (DESIGN.md section 8,
// "Storm"). bench/storm/storm.c does the measuring (see its header comment):
// the uffd engine on the host, with and without a StreamEvents subscriber
// that never reads; the device engine and the bare module fd in a QEMU guest.

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { BUNDLED_DAEMON, CLIENT_INCLUDE, REPO, UAPI, bundleDaemon, checkRelease, clientLibs, collect, gcc, guestStdout, hostStdout, kernelOption } from '../native.ts';

export const BENCH = 'storm';
const SOURCE = join(REPO, 'bench', 'storm', 'storm.c');
const BINARY = join(REPO, 'build', 'bench', 'storm', 'storm');

export type Config = 'uffd' | 'uffd-stream' | 'device' | 'device-raw';
export const HOST_CONFIGS: readonly Config[] = ['uffd', 'uffd-stream'];
export const GUEST_CONFIGS: readonly Config[] = ['device', 'device-raw'];

/** The figures storm.c prints for one configuration. */
export function expectedFigures(config: Config): string[] {
  const p = config.replace('-', '_');
  const daemon = config === 'device-raw' ? [] : ['daemon_rss_kb_before', 'daemon_rss_kb_after', 'daemon_rss_kb_max', 'daemon_rss_growth_pct'];
  const module =
    config === 'device' || config === 'device-raw'
      ? ['module_slab_bytes_before', 'module_slab_bytes_after', 'module_slab_growth_pct', 'module_objects_after', 'sunreclaim_kb_before', 'sunreclaim_kb_after']
      : [];
  const stream = config === 'uffd-stream' ? ['reports_delivered'] : [];
  return ['kernel_release', ...daemon, ...module, ...stream, 'ns_per_invalidation'].map((f) => `${p}_${f}`);
}

export interface Params {
  readonly kernel: string;
  readonly regs: number;
  readonly count: number;
  readonly guestCount: number;
  readonly guest: boolean;
}

export function params(o: OptionValues): Params {
  const kernel = kernelOption(o['kernel']);
  const count = positiveInt('count', o['count'], 1_000_000);
  const p: Params = {
    kernel,
    regs: positiveInt('regs', o['regs'], 1000),
    count,
    guestCount: positiveInt('guest-count', o['guest-count'], count),
    guest: o['no-guest'] !== true,
  };
  // Coalescing is what is measured: every registration must be hit more than once.
  if (p.count < 2 * p.regs || p.guestCount < 2 * p.regs) throw new Error('--count (and --guest-count) must be at least twice --regs');
  return p;
}

export function programArgs(configs: readonly Config[], regs: number, count: number): string[] {
  return ['--configs', configs.join(','), '--regs', String(regs), '--count', String(count)];
}

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${UAPI}`, `-I${CLIENT_INCLUDE}`], clientLibs());
}

export const storm: Benchmark = {
  name: BENCH,
  summary:
    'daemon RSS and module slab before/after 1,000,000 unread invalidations: uffd (+ a never-reading stream) on the host, device and the bare fd in a QEMU guest (target: growth < 10%)',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    regs: { type: 'string', help: 'registrations (one page each) the invalidations go round (default 1000)' },
    count: { type: 'string', help: 'invalidations per configuration (default 1000000)' },
    'guest-count': { type: 'string', help: 'invalidations per guest configuration (default: --count; about 30-60 us each under emulation)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device runs in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    build();
    const host = await hostStdout(BINARY, programArgs(HOST_CONFIGS, p.regs, p.count));
    const figures = collect(host, BENCH, HOST_CONFIGS.flatMap(expectedFigures), 'host');
    if (!p.guest) return figures;

    bundleDaemon();
    const guest = await guestStdout(p.kernel, { UMMUNOTIFYD: BUNDLED_DAEMON }, [[BINARY, ...programArgs(GUEST_CONFIGS, p.regs, p.guestCount)]]);
    const device = collect(guest, BENCH, GUEST_CONFIGS.flatMap(expectedFigures), 'guest');
    for (const f of device) if (f.figure.endsWith('_kernel_release')) checkRelease(f.value, p.kernel);
    return [...figures, ...device];
  },
};
