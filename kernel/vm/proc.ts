// Thin wrappers around child_process for the harness's host-side commands.

import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  /** Exit status, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved in arrival order, as a person would have seen them. */
  readonly output: string;
}

/** Run a command to completion, capturing its output. Never throws for a non-zero exit. */
export function run(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, output }));
  });
}

/** Run a command, inheriting stdio (for apt, whose progress a person wants to see). */
export function runInherit(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // stdout goes to our stderr: the harness keeps its stdout for the guest command's output.
    const child = spawn(command, args, { ...options, stdio: ['ignore', process.stderr, 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
}

/** Like run(), but a non-zero exit is an error carrying the command's output. */
export async function runChecked(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new HarnessError(`${command} ${args.join(' ')} failed (${describeExit(result)}):\n${result.output.trimEnd()}`);
  }
  return result;
}

export function describeExit(result: { code: number | null; signal: NodeJS.Signals | null }): string {
  return result.code === null ? `killed by ${result.signal ?? 'a signal'}` : `exit status ${result.code}`;
}

/** A failure of the harness itself (as opposed to the guest command's own exit status). */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
}
