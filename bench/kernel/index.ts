// `npm run bench -- kernel`: cost of one invalidation with 1,000 vs 1,000,000
// registrations in one ummunotify fd (DESIGN.md section 8, "Scale"), measured
// in ONE guest boot so the two numbers share a machine state. The C program
// (bench/kernel/invalidation.c) does the measuring and prints the figures;
// this file builds it on the host, runs it in the guest through the VM
// harness, and takes the figures back out of the guest's console output.

import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import { extractFigures, missingFigures, type Figure } from '../figures.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = join(REPO, 'bench', 'kernel', 'invalidation.c');
const BINARY = join(REPO, 'build', 'bench', 'kernel', 'invalidation');
const UAPI = join(REPO, 'kernel', 'include', 'uapi');

export const BENCH = 'kernel';

/** Same rule as count_suffix() in invalidation.c: 1000 -> "1k", 1000000 -> "1m". */
export function countSuffix(n: number): string {
  if (n % 1_000_000 === 0) return `${n / 1_000_000}m`;
  if (n % 1000 === 0) return `${n / 1000}k`;
  return String(n);
}

/** The figures the C program must print for these registration counts. */
export function expectedFigures(small: number, large: number): string[] {
  const s = countSuffix(small);
  const l = countSuffix(large);
  return [
    'kernel_release',
    'invalidation_ns_unwatched',
    `invalidation_ns_${s}`,
    `invalidation_ns_${l}`,
    `added_ns_${s}`,
    `added_ns_${l}`,
    `ratio_${l}_over_${s}`,
    `register_ns_${l}`,
  ];
}

/** A positive integer option, or an Error naming the option. */
export function positiveInt(name: string, v: string | boolean | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !/^[1-9]\d*$/.test(v)) throw new Error(`--${name}: expected a positive integer, got ${String(v)}`);
  return Number(v);
}

/**
 * The guest must run the kernel asked for: a harness that silently fell back
 * to another kernel would put the wrong label on the numbers. Debian's
 * releases look like "6.1.0-56-amd64" and "6.12.117+deb12-amd64".
 */
export function releaseMatches(release: string, kernel: string): boolean {
  return release.startsWith(`${kernel}.`) || release === kernel;
}

/** Arguments of `npm run vm` that run the benchmark binary in the guest. */
export function vmArgs(kernel: string, binary: string, programArgs: readonly string[]): string[] {
  return ['run', '--silent', 'vm', '--', '--kernel', kernel, '--', binary, ...programArgs];
}

interface Params {
  readonly kernel: string;
  readonly small: number;
  readonly large: number;
  readonly iters: number;
  readonly batches: number;
}

export function params(o: OptionValues): Params {
  const kernel = o['kernel'];
  if (typeof kernel !== 'string' || !/^\d+\.\d+$/.test(kernel)) throw new Error(`--kernel: expected e.g. 6.12 or 6.1, got ${String(kernel)}`);
  const p = {
    kernel,
    small: positiveInt('small', o['small'], 1000),
    large: positiveInt('large', o['large'], 1_000_000),
    iters: positiveInt('iters', o['iters'], 10000),
    batches: positiveInt('batches', o['batches'], 7),
  };
  // The figure names would collide, and the ratio would mean nothing.
  if (p.small >= p.large) throw new Error('--small must be less than --large');
  return p;
}

function build(): void {
  mkdirSync(dirname(BINARY), { recursive: true });
  // Built on the host: the guest sees the host's root (and so its libc) read-only.
  execFileSync('gcc', ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-std=gnu11', `-I${UAPI}`, '-o', BINARY, SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * Runs `npm run vm` and returns its stdout, copying every line to our stderr
 * (prefixed, so no stderr line starts with `{` either) as progress: a 1M
 * registration run under emulation takes minutes.
 */
function runInGuest(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', [...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stderr.write(`  guest| ${line.replace(/\r/g, '')}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending) process.stderr.write(`  guest| ${pending}\n`);
      resolvePromise({ code, stdout });
    });
  });
}

export const kernel: Benchmark = {
  name: BENCH,
  summary: 'cost of one invalidation with 1,000 vs 1,000,000 registrations in the fd (target: ratio < 3), in a QEMU guest',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel, as `npm run vm -- --kernel` takes it (6.12 or 6.1)' },
    small: { type: 'string', help: 'registrations in the small configuration (default 1000)' },
    large: { type: 'string', help: 'registrations in the large configuration (default 1000000)' },
    iters: { type: 'string', help: 'invalidations per timed batch (default 10000)' },
    batches: { type: 'string', help: 'timed batches per configuration run (default 7)' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    build();
    const programArgs = ['--small', String(p.small), '--large', String(p.large), '--iters', String(p.iters), '--batches', String(p.batches)];
    const { code, stdout } = await runInGuest(vmArgs(p.kernel, BINARY, programArgs));
    if (code !== 0) throw new Error(`guest run exited with status ${String(code)}`);

    const { figures, problems } = extractFigures(stdout, BENCH);
    if (problems.length) throw new Error(`malformed figure line(s) in the guest output:\n  ${problems.join('\n  ')}`);
    const missing = missingFigures(figures, expectedFigures(p.small, p.large));
    if (missing.length) throw new Error(`missing figure(s): ${missing.join(', ')}`);
    const release = figures.find((f) => f.figure === 'kernel_release')?.value;
    if (typeof release !== 'string' || !releaseMatches(release, p.kernel)) {
      throw new Error(`asked for kernel ${p.kernel}, the guest ran ${String(release)}`);
    }
    return figures;
  },
};
