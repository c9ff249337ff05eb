// Boot a Debian kernel under QEMU with ummunotify.ko loaded and run one
// command in it. The pure helpers come first; runVm() does the I/O.

import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import type { VmArgs } from './args.ts';
import { BUILD_ROOT, buildModule } from './build.ts';
import { buildInitramfs } from './initramfs.ts';
import { REPO_ROOT, TOOL_PACKAGES, aptInstall, ensureKernel, parseKernelSpec, type InstalledKernel } from './kernels.ts';
import { HarnessError } from './proc.ts';
import { dirsToKeep } from './overlays.ts';
import { guestScript } from './quote.ts';

/** Exit status when the guest did not finish in time (as timeout(1)). */
export const EXIT_TIMEOUT = 124;
/** Exit status when the harness, the build, the boot or the guest kernel failed. */
export const EXIT_HARNESS = 125;
/**
 * Boots retried when the guest kernel dies before the module is loaded: an
 * early-boot oops in kernel text patching (int3 in sched_clock_cpu) is seen
 * now and then under TCG with two vCPUs, with no module of ours in sight.
 */
const BOOT_RETRIES = 2;

const INIT_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'guest-init.sh');

// ---- pure -----------------------------------------------------------------

/**
 * panic=-1 with -no-reboot turns a panic into a QEMU exit; oops=panic makes an
 * oops one too, so a crashing module can never pass. slab_nomerge keeps the
 * module's own kmem cache visible in /sys/kernel/slab. loglevel=5 hides the
 * boot chatter but still prints KERN_WARNING, the level of WARN() reports.
 */
export function kernelCmdline(): string {
  return 'console=ttyS0 edd=off loglevel=5 panic=-1 oops=panic slab_nomerge trace_clock=global';
}

export interface QemuLayout {
  readonly image: string;
  readonly initrd: string;
  /** Host directory exported writable as 9p tag `scratch`. */
  readonly shareDir: string;
  /** Unix socket QEMU connects ttyS1 (the command's stdout) to. */
  readonly stdoutSocket: string;
}

/** QEMU splits option values at commas; a literal comma is written twice. */
function qemuValue(text: string): string {
  return text.replace(/,/g, ',,');
}

export function qemuArgs(layout: QemuLayout): string[] {
  return [
    // TCG only: /dev/kvm exists on the CI machines but hangs.
    '-accel', 'tcg',
    '-m', '2G',
    '-smp', '2',
    '-nographic',
    '-nodefaults',
    '-no-reboot',
    // qboot instead of SeaBIOS: boots straight into -kernel, faster and without screen-clearing escapes on the console.
    '-bios', 'qboot.rom',
    '-kernel', layout.image,
    '-initrd', layout.initrd,
    '-append', kernelCmdline(),
    // ttyS0: the console, on QEMU's stdout.
    '-chardev', 'stdio,id=console,signal=off',
    '-serial', 'chardev:console',
    // ttyS1: the command's stdout alone, so it reaches ours untouched by kernel messages.
    '-chardev', `socket,id=cmdout,path=${qemuValue(layout.stdoutSocket)}`,
    '-serial', 'chardev:cmdout',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${qemuValue(layout.shareDir)},mount_tag=scratch,security_model=none,multidevs=remap`,
  ];
}

/** Taint flags that mean the kernel complained: B bad page, D oops, W WARN, L soft lockup. */
const BAD_TAINTS: ReadonlyArray<readonly [number, string]> = [
  [5, 'B (bad page)'],
  [7, 'D (kernel oops)'],
  [9, 'W (kernel WARN)'],
  [14, 'L (soft lockup)'],
];

export interface GuestStatus {
  readonly exitCode: number;
  /** Kernel taint flags that appeared while the module was loaded and the command ran. */
  readonly newTaints: readonly string[];
}

/** ctl/status as the guest writes it: `<exit status> <taint before insmod> <taint after>`. */
export function parseGuestStatus(text: string): GuestStatus | undefined {
  const m = /^(\d+) (\d+) (\d+)\s*$/.exec(text);
  if (m === null) return undefined;
  const before = BigInt(m[2] as string);
  const after = BigInt(m[3] as string);
  const appeared = after & ~before;
  const newTaints = BAD_TAINTS.filter(([bit]) => (appeared >> BigInt(bit)) & 1n).map(([, name]) => name);
  return { exitCode: Number(m[1]), newTaints };
}

/**
 * Strips the CR the kernel console puts before every LF. Stateful, since a
 * CR may end one chunk and its LF start the next.
 */
export function crlfFilter(): (chunk: string) => string {
  let pendingCr = false;
  return (chunk) => {
    let text = (pendingCr ? '\r' : '') + chunk;
    pendingCr = text.endsWith('\r');
    if (pendingCr) text = text.slice(0, -1);
    return text.replace(/\r+\n/g, '\n');
  };
}

/**
 * The directory the command runs in. `npm run` moves to the package root
 * and leaves the caller's directory in INIT_CWD; honour it for `npm run vm`
 * only, since INIT_CWD is inherited by everything below any npm script.
 */
export function hostCwd(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const initCwd = env['INIT_CWD'];
  return env['npm_lifecycle_event'] === 'vm' && initCwd !== undefined && initCwd !== '' ? initCwd : cwd;
}

const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The guest command's environment: fixed, plus what the host must pass on. */
export function guestEnv(kver: string, nodeBinDir: string, hostEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  // The host's node may live outside the standard PATH (nvm, /opt); the guest sees the same files.
  const path = STANDARD_PATH.includes(nodeBinDir) ? STANDARD_PATH : [...STANDARD_PATH, nodeBinDir];
  const env: Record<string, string> = {
    PATH: path.join(':'),
    // The host's files are read-only in the guest; tools that write to $HOME need it in /tmp.
    HOME: '/tmp/home',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    UMMUNOTIFY_VM_KERNEL: kver,
  };
  // Tests turn skips into failures under CI; they must know they are under CI in the guest too.
  const ci = hostEnv['CI'];
  if (ci !== undefined) env['CI'] = ci;
  return env;
}

// ---- I/O ------------------------------------------------------------------

export interface VmSinks {
  /** The guest command's stdout, byte for byte. */
  stdout(chunk: Uint8Array): void;
  /** The guest console (kernel log, init messages, the command's stderr), CRs stripped. */
  console(text: string): void;
  /** A message from the harness, one line without newline. */
  log(message: string): void;
}

export const processSinks: VmSinks = {
  stdout: (chunk) => void process.stdout.write(chunk),
  console: (text) => void process.stderr.write(text),
  log: (message) => void process.stderr.write(`vm: ${message}\n`),
};

export interface VmResult {
  readonly exitCode: number;
  /** Set once the kernel was resolved. */
  readonly kver?: string;
}

/** Install the host tools and the kernel `--kernel` names; shared by --install-only and runs. */
export async function prepareKernel(kernel: string): Promise<InstalledKernel> {
  const spec = parseKernelSpec(kernel);
  if (spec === undefined) throw new HarnessError(`--kernel ${JSON.stringify(kernel)}: expected 6.1, 6.12 or a full version such as 6.12.117+deb12-amd64`);
  await aptInstall(TOOL_PACKAGES);
  return ensureKernel(spec);
}

interface QemuOutcome {
  readonly timedOut: boolean;
  readonly interrupted: NodeJS.Signals | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

async function bootQemu(layout: QemuLayout, timeoutSeconds: number, sinks: VmSinks): Promise<QemuOutcome> {
  // QEMU connects ttyS1 to this socket at start-up; we are the listening end.
  const connections: Promise<void>[] = [];
  const server = createServer((socket: Socket) => {
    connections.push(new Promise((resolve) => socket.on('close', () => resolve())));
    socket.on('data', (chunk: Buffer) => sinks.stdout(chunk));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(layout.stdoutSocket, () => resolve());
  });

  try {
    const qemu = spawn('qemu-system-x86_64', qemuArgs(layout), { stdio: ['ignore', 'pipe', 'pipe'] });
    const decoder = new StringDecoder('utf8');
    const strip = crlfFilter();
    qemu.stdout.on('data', (chunk: Buffer) => sinks.console(strip(decoder.write(chunk))));
    qemu.stderr.on('data', (chunk: Buffer) => sinks.console(chunk.toString('utf8')));

    let timedOut = false;
    let interrupted: NodeJS.Signals | undefined;
    // setTimeout fires at once for delays beyond 2^31-1 ms; clamp absurd timeouts.
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, Math.min(timeoutSeconds * 1000, 2 ** 31 - 1));
    // Ctrl-C or a CI cancel must not leave a TCG guest spinning on a core.
    const onSignal = (signal: NodeJS.Signals) => {
      interrupted = signal;
      qemu.kill('SIGKILL');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        qemu.on('error', reject);
        qemu.on('close', (c, s) => resolve([c, s]));
      });
      const rest = strip(decoder.end());
      if (rest !== '') sinks.console(rest);
      // QEMU closes the socket on exit; wait so no byte of the command's output is lost.
      await Promise.all(connections);
      return { timedOut, interrupted, code, signal };
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  } finally {
    server.close();
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function runVm(args: VmArgs, sinks: VmSinks = processSinks): Promise<VmResult> {
  let kernel: InstalledKernel;
  try {
    kernel = await prepareKernel(args.kernel);
  } catch (err) {
    if (!(err instanceof HarnessError)) throw err;
    sinks.log(err.message);
    return { exitCode: EXIT_HARNESS };
  }
  const { kver } = kernel;
  if (args.installOnly) {
    sinks.log(`${kver}: installed`);
    return { exitCode: 0, kver };
  }

  const work = await mkdtemp(join(tmpdir(), 'ummunotify-vm-'));
  try {
    const share = join(work, 'share');
    await mkdir(join(share, 'ctl'), { recursive: true });
    await mkdir(join(share, 'tmp', 'home'), { recursive: true });
    // mkdir honours the umask; /tmp must be sticky and world-writable whatever it is.
    await chmod(join(share, 'tmp'), 0o1777);

    const moduleData = await buildModule(kver, join(work, 'ummunotify.ko'), (text) => sinks.console(text));
    const initrd = await buildInitramfs({
      kver,
      moduleData,
      initScript: await readFile(INIT_SCRIPT, 'utf8'),
      cacheDir: join(BUILD_ROOT, 'vm'),
    });
    // A reused archive counts as fresh, so concurrent runs do not prune it.
    const now = new Date();
    await utimes(initrd, now, now);

    const env = guestEnv(kver, dirname(process.execPath), process.env);
    const cwd = hostCwd(process.env, process.cwd());
    await writeFile(join(share, 'ctl', 'cmd.sh'), guestScript({ cwd, command: args.command, env }));
    await writeFile(join(share, 'ctl', 'keep'), dirsToKeep([cwd, REPO_ROOT]).map((dir) => `${dir}\n`).join(''));

    let outcome: QemuOutcome;
    let started: number;
    for (let attempt = 1; ; attempt++) {
      sinks.log(`booting ${kver} (TCG), running: ${args.command.join(' ')}`);
      started = Date.now();
      outcome = await bootQemu(
        { image: kernel.image, initrd, shareDir: share, stdoutSocket: join(work, `stdout-${attempt}.sock`) },
        args.timeoutSeconds,
        sinks,
      );
      const diedBeforeModule =
        outcome.interrupted === undefined &&
        !outcome.timedOut &&
        (await readIfExists(join(share, 'ctl', 'status'))) === undefined &&
        (await readIfExists(join(share, 'ctl', 'error'))) === undefined &&
        (await readIfExists(join(share, 'ctl', 'loading-module'))) === undefined;
      if (!diedBeforeModule || attempt > BOOT_RETRIES) break;
      // Only a crash before ummunotify.ko was touched is retried: our module's own failures always fail the run.
      sinks.log(`${kver}: the guest kernel died while booting, before ummunotify.ko was loaded (a QEMU TCG flake with SMP guests); booting again (${attempt}/${BOOT_RETRIES})`);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    if (outcome.interrupted !== undefined) {
      sinks.log(`interrupted by ${outcome.interrupted}; guest killed`);
      return { exitCode: outcome.interrupted === 'SIGINT' ? 130 : 143, kver };
    }
    if (outcome.timedOut) {
      sinks.log(`${kver}: guest did not finish within ${args.timeoutSeconds} s (--timeout); killed it`);
      return { exitCode: EXIT_TIMEOUT, kver };
    }
    const statusText = await readIfExists(join(share, 'ctl', 'status'));
    if (statusText === undefined) {
      const error = await readIfExists(join(share, 'ctl', 'error'));
      const qemuExit = outcome.code === null ? `killed by ${outcome.signal ?? 'a signal'}` : `exit status ${outcome.code}`;
      sinks.log(
        error !== undefined
          ? `${kver}: guest set-up failed: ${error.trim()} (see the console output above)`
          : `${kver}: the guest wrote no exit status: kernel panic or oops (oops=panic), or init died; see the console output above (QEMU ${qemuExit} after ${seconds} s)`,
      );
      return { exitCode: EXIT_HARNESS, kver };
    }
    const status = parseGuestStatus(statusText);
    if (status === undefined) {
      sinks.log(`${kver}: unreadable ctl/status from the guest: ${JSON.stringify(statusText)}`);
      return { exitCode: EXIT_HARNESS, kver };
    }
    if (status.newTaints.length > 0) {
      sinks.log(`${kver}: the kernel got tainted while the command ran: ${status.newTaints.join(', ')}; see the console output above`);
      return { exitCode: status.exitCode !== 0 ? status.exitCode : EXIT_HARNESS, kver };
    }
    sinks.log(`${kver}: command exited with status ${status.exitCode} (guest ran ${seconds} s)`);
    return { exitCode: status.exitCode, kver };
  } catch (err) {
    if (!(err instanceof HarnessError)) throw err;
    sinks.log(err.message);
    return { exitCode: EXIT_HARNESS, kver };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
