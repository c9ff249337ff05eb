// The target process, identified so that a recycled pid cannot pass for it:
// by pidfd for the daemon's own use; for a connecting peer by the pidfd the
// kernel hands out for it (SO_PEERPIDFD, Linux 6.5+), else by start time.

import { readFileSync, statSync } from 'node:fs';

/**
 * Field 22 (starttime) of /proc/PID/stat. The command name (field 2) may
 * contain spaces and parentheses, so count fields after its last ')'.
 */
export function parseStartTime(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** The start time of a live process, or undefined if it is gone. */
export function startTimeOf(pid: number): string | undefined {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface TargetIdentity {
  readonly pid: number;
  readonly uid: number;
  readonly startTime: string;
}

/** Who the target is now; undefined if there is no such process. */
export function identifyTarget(pid: number): TargetIdentity | undefined {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) return undefined;
  try {
    // /proc/PID is owned by the process's effective uid.
    return { pid, uid: statSync(`/proc/${pid}`).uid, startTime };
  } catch {
    return undefined;
  }
}

/** Whether a process (a connecting peer) is the target itself, not a reuse of its pid. */
export function isSameProcess(target: TargetIdentity, pid: number, startTime: string | undefined): boolean {
  return pid === target.pid && startTime !== undefined && startTime === target.startTime;
}

/**
 * The "Pid:" line of a pidfd's fdinfo: the process's pid in our namespace,
 * or undefined once it has exited (the kernel shows -1) or without the line.
 */
export function parsePidfdPid(fdinfo: string): number | undefined {
  const m = /^Pid:\s*(-?\d+)\s*$/m.exec(fdinfo);
  const pid = m === null ? undefined : Number(m[1]);
  return pid !== undefined && pid > 0 ? pid : undefined;
}

/** The pid of the process behind a pidfd of ours, or undefined if it has exited. */
export function pidOfPidfd(pidfd: number): number | undefined {
  try {
    return parsePidfdPid(readFileSync(`/proc/self/fdinfo/${pidfd}`, 'utf8'));
  } catch {
    return undefined;
  }
}
