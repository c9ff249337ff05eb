// `npm run bench -- latency`: time from munmap() in the target to the report
// arriving on a StreamEvents subscriber (DESIGN.md section 8, "Event
// latency"), p50/p99/max: the uffd engine on the host, the device engine in a
// QEMU guest. bench/latency/latency.c does the measuring (target and
// subscriber threads in one process, one clock); see its header comment.

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { BUNDLED_DAEMON, CLIENT_INCLUDE, REPO, bundleDaemon, clientLibs, collect, gcc, guestRelease, guestStdout, hostStdout, releaseCommand } from '../native.ts';
import { expectedFigures, latencyPlan, programArgs } from './plan.ts';

export const BENCH = 'latency';
const SOURCE = join(REPO, 'bench', 'latency', 'latency.c');
const BINARY = join(REPO, 'build', 'bench', 'latency', 'latency');

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${CLIENT_INCLUDE}`], [...clientLibs(), '-lpthread']);
}

export const latency: Benchmark = {
  name: BENCH,
  summary: 'munmap in the target to the report on a StreamEvents subscriber: p50 (target < 100 us), p99 (< 1000 us), max; uffd on the host, device in a QEMU guest',
  options: {
    events: { type: 'string', help: 'timed events (default 100000 on the host, 2000 in the guest)' },
    'guest-events': { type: 'string', help: 'timed events in the guest only (default: --events, else 2000)' },
    batch: { type: 'string', help: 'pages registered per Register call between timed munmaps (default 1000)' },
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const plan = latencyPlan(o);
    build();
    const host = await hostStdout(BINARY, programArgs('uffd', plan.hostEvents, plan.batch));
    const figures = collect(host, BENCH, expectedFigures('uffd'), 'host');
    if (!plan.guest) return figures;

    // The guest's client spawns the bundled daemon: node starts it in ~5 s under TCG, tsx in far longer.
    bundleDaemon();
    const guest = await guestStdout(plan.kernel, { UMMUNOTIFYD: BUNDLED_DAEMON }, [
      releaseCommand(BENCH),
      [BINARY, ...programArgs('device', plan.guestEvents, plan.batch)],
    ]);
    const release = guestRelease(guest, BENCH, plan.kernel);
    return [...figures, release, ...collect(guest, BENCH, expectedFigures('device'), 'guest').filter((f) => f.figure !== release.figure)];
  },
};
