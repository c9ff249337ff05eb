// Test support: run `npm run vm` as a user would, for tests that boot a guest.

import { spawn } from 'node:child_process';
import { REPO_ROOT } from './kernels.ts';

export interface NpmRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A generous bound for one boot plus a command under software emulation. */
export const BOOT_TIMEOUT_MS = 900_000;

export function npmVm(args: readonly string[]): Promise<NpmRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'vm', '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** On failure, show what the guest printed: the console is where a panic or a build warning is. */
export function explain(r: NpmRun): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
