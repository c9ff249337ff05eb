// `ummunotifyd run [OPTIONS] -- CMD [ARGS...]`: CMD with a sidecar of its
// own, for launchers (mpirun, srun, a job script) that start the program
// and cannot start a daemon per process themselves.
//
// The daemon serves exactly one pid and refuses Attach from any other, so it
// must know CMD's pid before it serves, and it must listen before CMD's client
// first connects. Starting CMD first and racing it would lose either way, and
// a daemon started first cannot know a pid that does not exist yet. So CMD is
// started held at a gate: /bin/sh blocked reading a pipe. Its pid is known,
// the daemon starts for it (in this process) and listens, and then the gate
// is released with the socket path: the shell exports UMMUNOTIFY_SOCKET and
// execs CMD, which keeps the pid (and the start time, and the pidfd the daemon
// holds). If the daemon cannot start, the gate is killed and CMD never runs.
// If this process dies first, the shell reads EOF and exits without running CMD.

import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync } from 'node:fs';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import type { RunArgs } from './args.ts';
import { startDaemon, type RunningDaemon } from './daemon.ts';
import { stderrLogger } from './log.ts';

/**
 * Signals a launcher or a terminal sends to a job; passed on to CMD. mpirun
 * also forwards SIGUSR1 and SIGUSR2 to ranks, and node would take SIGUSR1 for
 * itself (it starts the inspector) if nobody listened.
 */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** The gate's exit status when it is not released (this process aborted or died). */
export const GATE_ABORTED = 125;

/** Set by bin/ummunotifyd: "PID: FD FD ...", the fds it inherited, named before node started. */
export const INHERITED_FDS_ENV = 'UMMUNOTIFYD_INHERITED_FDS';

/**
 * The fds above 2 this process inherited, to pass on to CMD (MPICH's
 * mpiexec gives a rank its PMI connection as an fd, PMI_FD). Node marks the
 * fds it inherits close-on-exec as it starts, and its own fds are briefly
 * inheritable while it spawns a child (tsx's esbuild, on another thread), so
 * the flags tell nothing: the list bin/ummunotifyd wrote before starting
 * node does. It counts only if it was written for this very process (`pid`),
 * not inherited from an outer run, and only for fds still open (`isOpen`).
 */
export function inheritedFds(listed: string | undefined, pid: number, isOpen: (fd: number) => boolean): number[] {
  const m = listed === undefined ? null : /^(\d+):([\d ]*)$/.exec(listed);
  if (!m || Number(m[1]) !== pid) return [];
  const fds = (m[2] as string).split(' ').filter((w) => w !== '').map(Number);
  return [...new Set(fds.filter((fd) => fd > 2 && isOpen(fd)))].sort((a, b) => a - b);
}

/**
 * The fd number CMD's gate reads from: dash, Debian's /bin/sh, takes only
 * single-digit fds in redirections, so 3-9, and not one CMD inherits.
 */
export function pickGateFd(inherited: readonly number[]): number {
  for (let fd = 3; fd <= 9; fd++) if (!inherited.includes(fd)) return fd;
  throw new Error('fds 3 to 9 are all inherited by this process; run needs one of them to hold CMD until the daemon listens');
}

export type StdioEntry = 'inherit' | 'ignore' | 'pipe' | number;

/** child_process stdio: 0-2 and the inherited fds as they are, the gate a pipe, nothing else. */
export function gateStdio(inherited: readonly number[], gateFd: number): StdioEntry[] {
  const stdio: StdioEntry[] = ['inherit', 'inherit', 'inherit'];
  for (let fd = 3; fd <= Math.max(gateFd, ...inherited); fd++) stdio.push(fd === gateFd ? 'pipe' : inherited.includes(fd) ? fd : 'ignore');
  return stdio;
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

/**
 * The gate: wait for one line (the socket path) on `fd`, close it so CMD does
 * not inherit it, export it, exec CMD ("$@"). EOF instead of a line means
 * "do not run".
 */
export function gateScript(fd: number): string {
  return `IFS= read -r UMMUNOTIFY_SOCKET <&${fd} || exit ${GATE_ABORTED}; exec ${fd}<&-; export UMMUNOTIFY_SOCKET; exec "$@"`;
}

/** The shell's convention, which launchers understand: a death by signal N is status 128+N. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  if (signal !== null) return 128 + (constants.signals[signal] ?? 0);
  return 1;
}

interface Gated {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly gate: Writable;
  /** CMD's status once it has exited (shell convention). */
  readonly exited: Promise<number>;
}

/** Starts CMD held at the gate; resolves once its pid is known. */
function spawnGated(command: readonly string[]): Promise<Gated> {
  const inherited = inheritedFds(process.env[INHERITED_FDS_ENV], process.pid, isOpen);
  const fd = pickGateFd(inherited);
  // The environment is ours, whole (launchers pass a rank's identity through
  // it), less the fd list, which was about this process only.
  const env = { ...process.env };
  delete env[INHERITED_FDS_ENV];
  // $0 names us in the shell's own messages ("ummunotifyd run: 1: exec: x: not found").
  const child = spawn('/bin/sh', ['-c', gateScript(fd), 'ummunotifyd run', ...command], { stdio: gateStdio(inherited, fd), env });
  const gate = child.stdio[fd] as Writable;
  // CMD may be gone when the gate is written or closed: EPIPE is not ours to report.
  gate.on('error', () => undefined);
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(exitStatus(code, signal))));
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start /bin/sh for CMD: ${e.message}`)));
    child.once('spawn', () => resolve({ child, pid: child.pid as number, gate, exited }));
  });
}

function say(message: string): void {
  process.stderr.write(`ummunotifyd run: ${message}\n`);
}

/** Runs CMD under its own daemon; resolves with the status `run` must exit with. */
export async function runCommand(args: RunArgs): Promise<number> {
  let child: ChildProcess | undefined;
  // Installed first, so that a signal during start-up is not our death but
  // CMD's (the gate shell dies of it, and run reports that).
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    if (child === undefined) pending.push(signal);
    else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);

  let gated: Gated;
  try {
    gated = await spawnGated(args.command);
  } catch (e) {
    say((e as Error).message);
    return 1;
  }
  child = gated.child;
  for (const signal of pending.splice(0)) forward(signal);

  const log = stderrLogger(args.daemon.logLevel, { daemon: 'ummunotifyd', target: gated.pid });
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon({ pid: gated.pid, ...args.daemon }, log);
  } catch (e) {
    // Killed at the gate (a forwarded signal): that is CMD's status, not a daemon failure.
    if (child.exitCode !== null || child.signalCode !== null) return gated.exited;
    // EOF makes the gate exit without running CMD; the kill covers a gate
    // that is somehow still reading.
    gated.gate.destroy();
    child.kill('SIGKILL');
    await gated.exited;
    say(`the daemon for ${JSON.stringify(args.command[0])} (pid ${gated.pid}) did not start, so the command was not run: ${(e as Error).message}`);
    return 1;
  }

  // The daemon listens: let CMD run. A path with a newline cannot go through
  // the gate's one line; a socket path never has one unless --socket gave it.
  const socket = daemon.paths.grpcSocket;
  if (socket.includes('\n')) {
    gated.gate.destroy();
    child.kill('SIGKILL');
    await gated.exited;
    await daemon.stop('socket path unusable');
    say('the socket path contains a newline; choose another --socket');
    return 1;
  }
  gated.gate.end(`${socket}\n`);

  const status = await gated.exited;
  // The daemon sees CMD's exit through its pidfd and stops by itself after
  // --exit-grace-ms (streams end with TargetExited first). The timer only
  // guards against waiting forever for that.
  const backstop = setTimeout(() => void daemon.stop('command exited'), args.daemon.exitGraceMs + 10_000);
  await daemon.stopped;
  clearTimeout(backstop);
  for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  return status;
}
