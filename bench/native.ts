// Helpers shared by the benchmarks that measure in a program of their own (C,
// or a client driver): build it into build/bench/<name>/, run it on the host
// or in a QEMU guest (`npm run vm`), collect its stdout while copying every
// line to our stderr, prefixed, as progress, and check the guest ran the
// kernel asked for.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shQuoteAll } from '../kernel/vm/quote.ts';
import { extractFigures, missingFigures, type Figure } from './figures.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CLIENT_INCLUDE = join(REPO, 'clients', 'c', 'include');
export const CLIENT_LIBDIR = join(REPO, 'build', 'clients', 'c');
export const UAPI = join(REPO, 'kernel', 'include', 'uapi');
/** The daemon the C client spawns (as test/conformance/runners/c/run.sh does). */
export const DAEMON = join(REPO, 'bin', 'ummunotifyd');

/**
 * The daemon bundled by `npm run build:daemon`: under software emulation it
 * starts in a fraction of the time tsx needs (test/device/in-guest.sh uses it
 * too); it is the same source as bin/ummunotifyd.
 */
export const BUNDLED_DAEMON = join(REPO, 'daemon', 'dist', 'ummunotifyd.mjs');
/** tsx's loader: drivers in TypeScript run as `node --import TSX_LOADER file.ts` (the tsx CLI does not work in the guest). */
export const TSX_LOADER = join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs');

/** What BUNDLED_DAEMON is built from (its dependencies stay external). */
const BUNDLE_SOURCES = [join(REPO, 'daemon', 'src'), join(REPO, 'proto', 'gen', 'ts')];

/** Whether the bundle is older than any of its sources (mtimes in ms); a missing bundle is stale. */
export function bundleStale(bundleMtime: number | undefined, sourceMtimes: readonly number[]): boolean {
  return bundleMtime === undefined || sourceMtimes.some((t) => t > bundleMtime);
}

function sourceMtimes(dir: string): number[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => statSync(join(dir, f)).mtimeMs);
}

/**
 * Rebuilds BUNDLED_DAEMON when a source is newer, so a guest run measures what
 * the host run does; only then, because another guest run may be reading it.
 */
export function bundleDaemon(): void {
  let bundle: number | undefined;
  try {
    bundle = statSync(BUNDLED_DAEMON).mtimeMs;
  } catch {
    bundle = undefined;
  }
  if (!bundleStale(bundle, BUNDLE_SOURCES.flatMap(sourceMtimes))) return;
  process.stderr.write('bench: rebuilding daemon/dist/ummunotifyd.mjs (npm run build:daemon)\n');
  execFileSync('npm', ['run', '--silent', 'build:daemon'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The `--kernel` option every guest-running benchmark takes, as `npm run vm -- --kernel` does. */
export function kernelOption(v: string | boolean | undefined): string {
  if (typeof v !== 'string' || !/^\d+\.\d+$/.test(v)) throw new Error(`--kernel: expected e.g. 6.12 or 6.1, got ${String(v)}`);
  return v;
}

/**
 * The guest must run the kernel asked for: a harness that silently fell back
 * to another kernel would put the wrong label on the numbers. Debian's
 * releases look like "6.1.0-56-amd64" and "6.12.117+deb12-amd64".
 */
export function releaseMatches(release: string, kernel: string): boolean {
  return release.startsWith(`${kernel}.`) || release === kernel;
}

/** Throws unless `release` (a figure's value) names the kernel asked for. */
export function checkRelease(release: string | number | undefined, kernel: string): void {
  if (typeof release !== 'string' || !releaseMatches(release, kernel)) throw new Error(`the guest ran kernel ${String(release)}, not ${kernel}`);
}

/**
 * A sh script for one guest boot: exports `env`, then runs each command
 * (argv) in turn, going on after a failure so the others still report; exits
 * 1 if any failed. Pure, so it is unit-tested.
 */
export function guestScript(env: Readonly<Record<string, string>>, commands: ReadonlyArray<readonly string[]>): string {
  const lines = ['status=0'];
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`not an environment variable name: ${k}`);
    lines.push(`export ${k}=${shQuoteAll([v])}`);
  }
  for (const c of commands) {
    if (c.length === 0) throw new Error('empty command');
    lines.push(`${shQuoteAll(c)} || { echo "guest: ${c[0]?.replace(/[^A-Za-z0-9_\/.-]/g, '') ?? ''} failed: status $?" >&2; status=1; }`);
  }
  lines.push('exit $status');
  return lines.join('\n') + '\n';
}

export const RELEASE_FIGURE = 'guest_kernel_release';

/** A guest command printing the `guest_kernel_release` figure of `bench`: the guest's `uname -r`. */
export function releaseCommand(bench: string): string[] {
  if (!/^[a-z0-9_-]+$/.test(bench)) throw new Error(`bench name ${JSON.stringify(bench)}`);
  const line = `{"bench":"${bench}","figure":"${RELEASE_FIGURE}","value":"%s","unit":null,"target":null}\\n`;
  return ['/bin/sh', '-c', `printf '${line}' "$(uname -r)"`];
}

/**
 * The guest_kernel_release figure of `bench` in `stdout`; throws unless the
 * guest ran the kernel asked for (a harness that fell back to another
 * kernel would put the wrong label on every figure of the run).
 */
export function guestRelease(stdout: string, bench: string, kernel: string): Figure {
  const f = collect(stdout, bench, [RELEASE_FIGURE], 'guest').find((x) => x.figure === RELEASE_FIGURE) as Figure;
  checkRelease(f.value, kernel);
  return f;
}

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

/** `runOnHost`'s stdout; throws when the program failed. */
export async function hostStdout(binary: string, args: readonly string[]): Promise<string> {
  const r = await runOnHost(binary, args);
  if (r.code !== 0) throw new Error(`host run of ${binary} exited with status ${String(r.code)}`);
  return r.stdout;
}

/** Runs `commands` in one guest boot (guestScript) and returns its stdout; throws when any failed. */
export async function guestStdout(kernel: string, env: Readonly<Record<string, string>>, commands: ReadonlyArray<readonly string[]>): Promise<string> {
  const r = await runInGuest(kernel, '/bin/sh', ['-c', guestScript(env, commands)]);
  if (r.code !== 0) throw new Error(`guest run exited with status ${String(r.code)}`);
  return r.stdout;
}

/** The figures of `bench` in `stdout`; throws on malformed lines or missing figures. */
export function collect(stdout: string, bench: string, required: readonly string[], where: string): Figure[] {
  const { figures, problems } = extractFigures(stdout, bench);
  if (problems.length) throw new Error(`malformed figure line(s) from the ${where} run:\n  ${problems.join('\n  ')}`);
  const missing = missingFigures(figures, required);
  if (missing.length) throw new Error(`missing figure(s) from the ${where} run: ${missing.join(', ')}`);
  return figures;
}
