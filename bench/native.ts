// Helpers shared by the benchmarks whose measuring is a C program
// (bench/munmap, bench/coverage): build it into build/bench/<name>/, run it
// on the host or in a QEMU guest (`npm run vm`), collect its stdout while
// copying every line to our stderr, prefixed, as progress.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFigures, missingFigures, type Figure } from './figures.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_INCLUDE = join(REPO, 'clients', 'c', 'include');
export const CLIENT_LIBDIR = join(REPO, 'build', 'clients', 'c');
export const UAPI = join(REPO, 'kernel', 'include', 'uapi');
/** The daemon the C client spawns (as test/conformance/runners/c/run.sh does). */
export const DAEMON = join(REPO, 'bin', 'ummunotifyd');

/** gcc flags shared by every C benchmark program. */
export const CFLAGS = ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-std=gnu11'];

/** Compiles `sources` into `binary` with gcc; extra flags go before, libraries after the sources. */
export function gcc(binary: string, sources: readonly string[], flags: readonly string[], libs: readonly string[]): void {
  mkdirSync(dirname(binary), { recursive: true });
  execFileSync('gcc', [...CFLAGS, ...flags, '-o', binary, ...sources, ...libs], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Link flags for the C client, with an rpath so neither host nor guest needs LD_LIBRARY_PATH. */
export function clientLibs(): string[] {
  return [`-L${CLIENT_LIBDIR}`, `-Wl,-rpath,${CLIENT_LIBDIR}`, '-lummunotify-client'];
}

/** UCX's memory hooks (libucx-dev): libucm needs libucs. */
export const UCM_LIBS = ['-lucm', '-lucs'];

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
}

/**
 * Runs a command, returns its stdout, and copies each stdout line to our
 * stderr with `prefix` (so no stderr line of ours starts with `{`). Its
 * stderr is prefixed too: the daemon logs JSON lines there.
 */
export function runCapture(cmd: string, args: readonly string[], prefix: string, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    let stdout = '';
    const pending = { out: '', err: '' };
    const relay = (which: 'out' | 'err', chunk: string): void => {
      if (which === 'out') stdout += chunk;
      pending[which] += chunk;
      const lines = pending[which].split('\n');
      pending[which] = lines.pop() ?? '';
      for (const line of lines) process.stderr.write(`  ${prefix}| ${line.replace(/\r/g, '')}\n`);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (c: string) => relay('out', c));
    child.stderr.on('data', (c: string) => relay('err', c));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const w of ['out', 'err'] as const) if (pending[w]) process.stderr.write(`  ${prefix}| ${pending[w]}\n`);
      resolvePromise({ code, stdout });
    });
  });
}

/** Runs `binary args` on the host, with UMMUNOTIFYD pointing at this checkout's daemon unless already set. */
export function runOnHost(binary: string, args: readonly string[]): Promise<RunResult> {
  const env = { ...process.env, UMMUNOTIFYD: process.env['UMMUNOTIFYD'] ?? DAEMON };
  return runCapture(binary, args, 'host', env);
}

/** Runs `binary args` in a guest booted with the module loaded (`npm run vm`). */
export function runInGuest(kernel: string, binary: string, args: readonly string[]): Promise<RunResult> {
  return runCapture('npm', ['run', '--silent', 'vm', '--', '--kernel', kernel, '--', binary, ...args], 'guest');
}

/** The figures of `bench` in `stdout`; throws on malformed lines or missing figures. */
export function collect(stdout: string, bench: string, required: readonly string[], where: string): Figure[] {
  const { figures, problems } = extractFigures(stdout, bench);
  if (problems.length) throw new Error(`malformed figure line(s) from the ${where} run:\n  ${problems.join('\n  ')}`);
  const missing = missingFigures(figures, required);
  if (missing.length) throw new Error(`missing figure(s) from the ${where} run: ${missing.join(', ')}`);
  return figures;
}
