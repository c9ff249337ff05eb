// The target process, identified so that a recycled pid cannot pass for it:
// by pidfd for the daemon's own use, by start time for peers.

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
