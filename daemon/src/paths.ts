// Where a daemon's sockets live, and claiming them safely: a directory only
// its owner can enter, a lock file against a second daemon for the same
// target, and a stale socket removed only once nobody answers on it.

import { chmodSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

export interface DaemonPaths {
  readonly dir: string;
  readonly grpcSocket: string;
  readonly counterSocket: string;
  readonly lockFile: string;
}

/** Root uses /run/ummunotify; everyone else $XDG_RUNTIME_DIR/ummunotify (DESIGN section 5). */
export function defaultSocketDir(uid: number, env: Readonly<Record<string, string | undefined>>): string {
  if (uid === 0) return '/run/ummunotify';
  const runtime = env['XDG_RUNTIME_DIR'];
  if (runtime === undefined || runtime === '') throw new Error('XDG_RUNTIME_DIR is not set: pass --socket PATH');
  return join(runtime, 'ummunotify');
}

/** The counter socket and lock file sit next to the gRPC socket. */
export function daemonPaths(grpcSocket: string): DaemonPaths {
  const base = grpcSocket.endsWith('.sock') ? grpcSocket.slice(0, -'.sock'.length) : grpcSocket;
  return { dir: dirname(grpcSocket), grpcSocket, counterSocket: `${base}.counter.sock`, lockFile: `${base}.lock` };
}

export function socketPathFor(pid: number, dir: string): string {
  return join(dir, `${pid}.sock`);
}

/**
 * File modes: by default only our uid can reach the socket (directory 0700,
 * socket 0600). Uids allowed with --allow-uid or --observer-uid must be able
 * to connect, so then the directory is searchable and the socket writable by
 * all, and the peer-credential check at accept is what refuses everybody else.
 */
export function socketModes(allowOthers: boolean): { readonly dir: number; readonly socket: number } {
  return allowOthers ? { dir: 0o711, socket: 0o666 } : { dir: 0o700, socket: 0o600 };
}

/** Whether uids other than the daemon's own must reach its sockets: the target's, --allow-uid, --observer-uid. */
export function othersMustConnect(daemonUid: number, uids: readonly number[]): boolean {
  return uids.some((uid) => uid !== daemonUid);
}

/**
 * The mode to give a socket directory that has `existing` (undefined: just
 * created). Search bits for others stay: the directory may be shared
 * (/run/ummunotify) with a daemon that needs them, and taking them away
 * would lock its allowed and observer uids out; the sockets' own modes
 * still protect the daemons that did not open theirs. Read bits go.
 */
export function socketDirMode(requested: number, existing: number | undefined): number {
  return requested | ((existing ?? 0) & 0o011);
}

/**
 * Creates the directory (0700, or `mode`) if missing. One that exists is
 * checked before any chmod: it must be ours and not writable by others (a
 * --socket in /tmp must not chmod /tmp).
 */
export function ensurePrivateDir(dir: string, mode = 0o700): void {
  const created = mkdirSync(dir, { recursive: true, mode }) !== undefined;
  const st = statSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== process.getuid?.()) throw new Error(`${dir} belongs to uid ${st.uid}, not to us`);
  const existing = st.mode & 0o777;
  if (!created && (existing & 0o022) !== 0) throw new Error(`${dir} is writable by others (mode ${existing.toString(8)}); fix it or choose another --socket`);
  const wanted = socketDirMode(mode, created ? undefined : existing);
  // Unchanged modes are left alone, so that two daemons starting at once
  // cannot undo each other's chmod.
  if (wanted !== existing) chmodSync(dir, wanted);
}

/** Resolves true if something accepts connections on the socket path. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

function pidInLock(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock file (O_EXCL, our pid inside). A lock left by a daemon that
 * is gone, with nothing answering on its socket, is stale and replaced.
 */
export async function claim(paths: DaemonPaths): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(paths.lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
      const owner = pidInLock(paths.lockFile);
      if ((owner !== undefined && processExists(owner)) || (await socketAnswers(paths.grpcSocket))) {
        throw new Error(`another daemon (pid ${owner ?? 'unknown'}) serves this target: ${paths.lockFile}`);
      }
      rmSync(paths.lockFile, { force: true });
    }
  }
  // The lock is ours, so sockets left here are stale, but only if nobody answers.
  for (const socket of [paths.grpcSocket, paths.counterSocket]) {
    if (await socketAnswers(socket)) throw new Error(`${socket} answers, though its lock was free`);
    rmSync(socket, { force: true });
  }
}

export function release(paths: DaemonPaths): void {
  for (const file of [paths.grpcSocket, paths.counterSocket, paths.lockFile]) rmSync(file, { force: true });
}
