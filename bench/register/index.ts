// `npm run bench -- register`: Register throughput, one registration per call
// vs. 1,000 per call (DESIGN.md section 8, "Register/unregister throughput
// ... vs. the raw ioctl"), through the Node client against a real daemon
// whose target is the driver process (register-node.ts): on the host with
// the uffd engine, then in ONE QEMU guest boot with the device engine, where
// register-ioctl.c also times the raw REGISTER_REGION ioctl on
// /dev/ummunotify with the same page pattern, so the daemon's overhead over
// the device shows as a ratio measured on one machine state.

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { BUNDLED_DAEMON, DAEMON, REPO, TSX_LOADER, UAPI, bundleDaemon, gcc, guestRelease, guestStdout, kernelOption, releaseCommand, runCapture } from '../native.ts';
import { BENCH, clientFigures, ioctlFigures, parseClient, parseIoctl, resultLine, type Engine } from './measured.ts';

export { BENCH, pageRegistrations } from './measured.ts';

const NODE_DRIVER = join(REPO, 'bench', 'register', 'register-node.ts');
const IOCTL_SOURCE = join(REPO, 'bench', 'register', 'register-ioctl.c');
const IOCTL_BINARY = join(REPO, 'build', 'bench', 'register', 'register-ioctl');

/** One run of the Node driver. */
export interface ClientCounts {
  readonly singles: number;
  readonly batch: number;
  readonly calls: number;
  readonly rounds: number;
  readonly warmSingles: number;
  readonly warmBatched: number;
}

interface Params {
  readonly host: ClientCounts;
  readonly guest: ClientCounts;
  readonly ioctlCount: number;
  readonly kernel: string;
  readonly noGuest: boolean;
}

function params(o: OptionValues): Params {
  const kernel = kernelOption(o['kernel']);
  const batch = positiveInt('batch', o['batch'], 1000);
  const rounds = positiveInt('rounds', o['rounds'], 5);
  return {
    host: {
      singles: positiveInt('singles', o['singles'], 2000),
      batch,
      calls: positiveInt('calls', o['calls'], 20),
      rounds,
      warmSingles: 1000,
      warmBatched: 4000,
    },
    // Under TCG one Register costs several ms: fewer of them keep the boot short.
    guest: {
      singles: positiveInt('guest-singles', o['guest-singles'], 100),
      batch,
      calls: positiveInt('guest-calls', o['guest-calls'], 3),
      rounds: positiveInt('guest-rounds', o['guest-rounds'], 3),
      warmSingles: 50,
      warmBatched: 1000,
    },
    ioctlCount: positiveInt('ioctl-count', o['ioctl-count'], 20_000),
    kernel,
    noGuest: o['no-guest'] === true,
  };
}

/** argv of the Node driver; the host and the guest run exactly this but for the engine and counts. */
export function nodeDriverCommand(engine: Engine, c: ClientCounts, nodeBinary: string): string[] {
  return [
    nodeBinary,
    '--import',
    TSX_LOADER,
    NODE_DRIVER,
    ...['--engine', engine, '--singles', String(c.singles), '--batch', String(c.batch), '--calls', String(c.calls)],
    ...['--rounds', String(c.rounds), '--warm-singles', String(c.warmSingles), '--warm-batched', String(c.warmBatched)],
  ];
}

function describe(where: string, engine: Engine, c: ClientCounts): string {
  return `  ${where}: node client, engine ${engine}: ${c.rounds} rounds of ${c.singles} one per call and ${c.calls} x ${c.batch} batched\n`;
}

async function hostRun(p: Params): Promise<Figure[]> {
  process.stderr.write(describe('host', 'uffd', p.host));
  const [cmd, ...args] = nodeDriverCommand('uffd', p.host, process.execPath);
  const env = { ...process.env, UMMUNOTIFYD: process.env['UMMUNOTIFYD'] ?? DAEMON };
  const r = await runCapture(cmd as string, args, 'host', env);
  if (r.code !== 0) throw new Error(`host node driver exited with status ${String(r.code)}`);
  return clientFigures(parseClient(resultLine(r.stdout, 'node'), 'uffd', p.host.rounds), p.host.batch, '');
}

async function guestRun(p: Params): Promise<Figure[]> {
  process.stderr.write(`  guest ${p.kernel}: raw ioctl, ${p.guest.rounds} rounds of ${p.ioctlCount}\n`);
  process.stderr.write(describe(`guest ${p.kernel}`, 'device', p.guest));
  const out = await guestStdout(p.kernel, { UMMUNOTIFYD: BUNDLED_DAEMON }, [
    releaseCommand(BENCH),
    [IOCTL_BINARY, String(p.ioctlCount), String(p.guest.rounds)],
    nodeDriverCommand('device', p.guest, process.execPath),
  ]);
  const device = parseClient(resultLine(out, 'node'), 'device', p.guest.rounds);
  const io = parseIoctl(resultLine(out, 'ioctl'), p.guest.rounds);
  return [guestRelease(out, BENCH, p.kernel), ...clientFigures(device, p.guest.batch, 'device_'), ...ioctlFigures(io, device)];
}

export const register: Benchmark = {
  name: BENCH,
  summary: 'Register throughput and latency, one per call vs. 1,000 per call, node client: host/uffd, then device and the raw ioctl in one QEMU guest boot',
  options: {
    singles: { type: 'string', help: 'one-per-call registrations per round on the host (default 2000)' },
    batch: { type: 'string', help: 'registrations per batched call (default 1000)' },
    calls: { type: 'string', help: 'batched calls per round on the host (default 20)' },
    rounds: { type: 'string', help: 'rounds of each kind on the host, alternating (default 5)' },
    'guest-singles': { type: 'string', help: 'one-per-call registrations per round in the guest (default 100)' },
    'guest-calls': { type: 'string', help: 'batched calls per round in the guest (default 3)' },
    'guest-rounds': { type: 'string', help: 'rounds of each kind in the guest, also of the raw ioctl (default 3)' },
    'ioctl-count': { type: 'string', help: 'raw REGISTER_REGION ioctls per round in the guest (default 20000)' },
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    const figures = await hostRun(p);
    if (p.noGuest) return figures;
    gcc(IOCTL_BINARY, [IOCTL_SOURCE], [`-I${UAPI}`], ['-lm']);
    bundleDaemon();
    return [...figures, ...(await guestRun(p))];
  },
};
