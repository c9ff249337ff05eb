// `npm run bench -- latency`: time from munmap() in the target to the report
// arriving on a StreamEvents subscriber (DESIGN.md section 8, "Event
// latency"), p50/p99/max: the uffd engine on the host, the device engine in a
// QEMU guest. bench/latency/latency.c does the measuring (target and
// subscriber threads in one process, one clock); see its header comment.

import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { CLIENT_INCLUDE, REPO, clientLibs, collect, gcc, runInGuest, runOnHost } from '../native.ts';
import { bundleStale, expectedFigures, guestCommand, latencyPlan, programArgs } from './plan.ts';

export const BENCH = 'latency';
const SOURCE = join(REPO, 'bench', 'latency', 'latency.c');
const BINARY = join(REPO, 'build', 'bench', 'latency', 'latency');
/** The daemon the guest's client spawns: the bundle, as test/device uses. */
const BUNDLE = join(REPO, 'daemon', 'dist', 'ummunotifyd.mjs');

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${CLIENT_INCLUDE}`], [...clientLibs(), '-lpthread']);
}

function mtimes(dir: string): number[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => statSync(join(dir, f)).mtimeMs);
}

/** Rebuilds the daemon bundle only when a daemon source is newer: other runs may be reading it. */
function ensureBundle(): void {
  let bundle: number | undefined;
  try {
    bundle = statSync(BUNDLE).mtimeMs;
  } catch {
    bundle = undefined;
  }
  if (!bundleStale(bundle, mtimes(join(REPO, 'daemon', 'src')))) return;
  process.stderr.write('latency: rebuilding daemon/dist/ummunotifyd.mjs (npm run build:daemon)\n');
  execFileSync('npm', ['run', '--silent', 'build:daemon'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
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
    const host = await runOnHost(BINARY, programArgs('uffd', plan.hostEvents, plan.batch));
    if (host.code !== 0) throw new Error(`host run exited with status ${String(host.code)}`);
    const figures = collect(host.stdout, BENCH, expectedFigures('uffd'), 'host');
    if (!plan.guest) return figures;

    ensureBundle();
    const g = guestCommand(BINARY, BUNDLE, programArgs('device', plan.guestEvents, plan.batch));
    const guest = await runInGuest(plan.kernel, g.cmd, g.args);
    if (guest.code !== 0) throw new Error(`guest run exited with status ${String(guest.code)}`);
    return [...figures, ...collect(guest.stdout, BENCH, expectedFigures('device'), 'guest')];
  },
};
