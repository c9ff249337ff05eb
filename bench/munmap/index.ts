// `npm run bench -- munmap`: what watching one page adds to munmap() of it
// (DESIGN.md section 8, "Added cost of munmap of a watched range, per
// engine"), as ratios to an unwatched munmap timed in the same run: the uffd
// engine through the C client and UCX's memory hooks (UCM) on the host, the
// device engine (/dev/ummunotify, opened directly) in a QEMU guest.
// bench/munmap/munmap.c does the measuring; see its header comment.

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { CLIENT_INCLUDE, REPO, UAPI, UCM_LIBS, clientLibs, collect, gcc, guestRelease, guestStdout, hostStdout, kernelOption, releaseCommand } from '../native.ts';

export const BENCH = 'munmap';
const SOURCE = join(REPO, 'bench', 'munmap', 'munmap.c');
const BINARY = join(REPO, 'build', 'bench', 'munmap', 'munmap');

const HOST_FIGURES = [
  'munmap_ns_unwatched',
  'munmap_ns_uffd',
  'ratio_uffd',
  'munmap_ns_uffd_control',
  'ratio_uffd_control',
  'munmap_ns_ucm',
  'ratio_ucm',
];
const GUEST_FIGURES = ['munmap_ns_unwatched', 'munmap_ns_device', 'ratio_device'];

export function build(): void {
  gcc(BINARY, [SOURCE], [`-I${UAPI}`, `-I${CLIENT_INCLUDE}`], [...clientLibs(), ...UCM_LIBS]);
}

/** Guest figures get a `guest_` prefix where the host has one of the same name (the baseline). */
function renameGuest(f: Figure): Figure {
  return f.figure === 'munmap_ns_unwatched' ? { ...f, figure: 'guest_munmap_ns_unwatched' } : f;
}

export const munmap: Benchmark = {
  name: BENCH,
  summary: 'munmap of one watched page vs an unwatched one: uffd (target <= 8x) and UCM on the host, device (target <= 1.5x) in a QEMU guest',
  options: {
    iters: { type: 'string', help: 'munmaps per timed batch (default 1000)' },
    batches: { type: 'string', help: 'timed batches per configuration (default 5)' },
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const iters = positiveInt('iters', o['iters'], 1000);
    const batches = positiveInt('batches', o['batches'], 5);
    const kernel = kernelOption(o['kernel']);
    build();
    const common = ['--iters', String(iters), '--batches', String(batches), '--warmup', String(Math.max(10, Math.floor(iters / 10)))];

    const host = await hostStdout(BINARY, [...common, '--configs', 'uffd,uffd-ctl,ucm']);
    const figures = collect(host, BENCH, HOST_FIGURES, 'host');
    if (o['no-guest'] === true) return figures;

    const guest = await guestStdout(kernel, {}, [releaseCommand(BENCH), [BINARY, ...common, '--configs', 'device']]);
    const release = guestRelease(guest, BENCH, kernel);
    return [...figures, release, ...collect(guest, BENCH, GUEST_FIGURES, 'guest').filter((f) => f.figure !== release.figure).map(renameGuest)];
  },
};
