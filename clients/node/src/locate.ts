// Finding a target's daemon by the target's pid, from any user: where would
// ummunotifyd have put its socket by default (daemon/src/paths.ts), given who
// the target is and who might have started the daemon?

import { readFileSync, statSync } from 'node:fs';
import { defaultSocketDir, socketPathFor } from '../../../daemon/src/paths.ts';

export interface Candidate {
  readonly path: string;
  /** Which daemon would be there, for the error that lists what was tried. */
  readonly why: string;
}

export interface Whereabouts {
  readonly pid: number;
  /** Owner of /proc/PID: the user the target runs as. */
  readonly targetUid: number;
  /** The caller's uid and environment: a daemon the caller started itself. */
  readonly callerUid: number;
  readonly callerEnv: Readonly<Record<string, string | undefined>>;
  /** The target's own $XDG_RUNTIME_DIR, when its environment is readable (root, or the same user). */
  readonly targetRuntimeDir?: string | undefined;
}

function defaultDir(uid: number, env: Readonly<Record<string, string | undefined>>): string | undefined {
  try {
    return defaultSocketDir(uid, env);
  } catch {
    // No XDG_RUNTIME_DIR: a daemon of that user would have needed --socket.
    return undefined;
  }
}

/**
 * Where the target's daemon may listen, most specific first: a sidecar the
 * target spawned inherits its environment, so the target's own runtime dir
 * is where it went; then a daemon the caller started; then the defaults of
 * a daemon run as the target's user (systemd's /run/user/UID) and as root.
 */
export function socketCandidates(w: Whereabouts): Candidate[] {
  const dirs: Array<{ readonly dir: string | undefined; readonly why: string }> = [
    // (Root's daemons ignore $XDG_RUNTIME_DIR: the last entry covers them.)
    { dir: w.targetRuntimeDir && w.targetUid !== 0 ? defaultDir(w.targetUid, { XDG_RUNTIME_DIR: w.targetRuntimeDir }) : undefined, why: "a sidecar the target spawned (its $XDG_RUNTIME_DIR)" },
    { dir: defaultDir(w.callerUid, w.callerEnv), why: w.callerUid === 0 ? 'a daemon run as root' : 'a daemon run by you' },
    { dir: defaultDir(w.targetUid, { XDG_RUNTIME_DIR: `/run/user/${w.targetUid}` }), why: w.targetUid === 0 ? 'a daemon run as root' : `a daemon run as uid ${w.targetUid}, the target's user` },
    { dir: defaultDir(0, {}), why: 'a daemon run as root' },
  ];
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const { dir, why } of dirs) {
    if (dir === undefined) continue;
    const path = socketPathFor(w.pid, dir);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push({ path, why });
  }
  return out;
}

/** What a look at a candidate found. */
export type Probe = 'socket' | 'missing' | 'not a socket' | 'permission denied' | { readonly error: string };

/** The first candidate holding a socket, or an error that lists every path tried and what was there. */
export function chooseSocket(pid: number, targetUid: number, tried: ReadonlyArray<{ readonly candidate: Candidate; readonly probe: Probe }>): { path: string } | { error: string } {
  const found = tried.find((t) => t.probe === 'socket');
  if (found) return { path: found.candidate.path };
  const lines = tried.map(({ candidate, probe }) => {
    const what =
      probe === 'permission denied'
        ? 'permission denied (a daemon lets other uids in only with --allow-uid or --observer-uid)'
        : typeof probe === 'string'
          ? probe
          : probe.error;
    return `  ${candidate.path} (${candidate.why}): ${what}`;
  });
  return { error: [`no daemon socket found for pid ${pid} (uid ${targetUid}); tried:`, ...lines, 'if its daemon was started with --socket PATH, pass that path'].join('\n') };
}

/** $XDG_RUNTIME_DIR from the contents of /proc/PID/environ. */
export function runtimeDirOf(environ: string): string | undefined {
  const entry = environ.split('\0').find((e) => e.startsWith('XDG_RUNTIME_DIR='));
  const value = entry?.slice('XDG_RUNTIME_DIR='.length);
  return value ? value : undefined;
}

function probe(path: string): Probe {
  try {
    return statSync(path).isSocket() ? 'socket' : 'not a socket';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    if (code === 'EACCES') return 'permission denied';
    return { error: (e as Error).message };
  }
}

/** The socket of the daemon of process `pid`; throws an Error meant for the user. */
export function locateDaemonSocket(pid: number, callerUid: number, callerEnv: Readonly<Record<string, string | undefined>>): string {
  let targetUid: number;
  try {
    targetUid = statSync(`/proc/${pid}`).uid;
  } catch {
    throw new Error(`no process with pid ${pid}`);
  }
  let targetRuntimeDir: string | undefined;
  try {
    targetRuntimeDir = runtimeDirOf(readFileSync(`/proc/${pid}/environ`, 'utf8'));
  } catch {
    // Another user's environment is private: the other candidates remain.
  }
  const tried = socketCandidates({ pid, targetUid, callerUid, callerEnv, targetRuntimeDir }).map((candidate) => ({ candidate, probe: probe(candidate.path) }));
  const chosen = chooseSocket(pid, targetUid, tried);
  if ('error' in chosen) throw new Error(chosen.error);
  return chosen.path;
}
