// `npm run bench -- coverage`: which ways of invalidating memory each
// mechanism catches, measured (not taken from documentation) by
// bench/coverage/coverage.c: the uffd engine (through the C client) and UCX's
// memory hooks (UCM) on the host, the device engine in a QEMU guest. One
// informative figure per (engine, source), value "caught" or "missed".

import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { CFLAGS, CLIENT_INCLUDE, CLIENT_LIBDIR, REPO, UAPI, UCM_LIBS, clientLibs, collect, gcc, guestRelease, guestStdout, hostStdout, kernelOption, releaseCommand } from '../native.ts';

export const BENCH = 'coverage';
const SOURCE = join(REPO, 'bench', 'coverage', 'coverage.c');
const BINARY = join(REPO, 'build', 'bench', 'coverage', 'coverage');
const STATIC_BINARY = join(REPO, 'build', 'bench', 'coverage', 'coverage-static');
const STATIC_OBJECT = join(REPO, 'build', 'bench', 'coverage', 'coverage-static.o');
/** The C client's static library (`npm run build:c` builds it beside the shared one). */
const CLIENT_ARCHIVE = join(CLIENT_LIBDIR, 'libummunotify-client.a');

/** The sources coverage.c exercises, in its order. */
export const SOURCES = [
  'munmap_libc',
  'munmap_syscall',
  'brk_shrink',
  'madvise_dontneed',
  'mremap',
  'map_fixed',
  'shmdt',
  'fork_write',
] as const;

export function expected(engine: string, withStatic: boolean): string[] {
  const names = SOURCES.map((s) => `${engine}_${s}`);
  return withStatic ? [...names, `${engine}_static_munmap`] : names;
}

function clientArchive(): string {
  if (!existsSync(CLIENT_ARCHIVE)) throw new Error(`${CLIENT_ARCHIVE} is missing: run npm run build:c`);
  return CLIENT_ARCHIVE;
}

/** Whether `output` exists and is newer than every input (the static link takes a while). */
function upToDate(output: string, inputs: readonly string[]): boolean {
  if (!existsSync(output)) return false;
  const t = statSync(output).mtimeMs;
  return inputs.every((i) => statSync(i).mtimeMs <= t);
}

/**
 * A fully static target with the real C client in it: libummunotify-client.a
 * with gRPC, protobuf, abseil, OpenSSL... from Debian's .a archives
 * (`pkg-config --static`), UCM from libucm.a, linked by g++ (the client is
 * C++). glibc warns that getaddrinfo & co. would need its shared libraries
 * at run time; the client only uses a Unix socket, so its output is shown
 * only when the link fails.
 */
function buildStatic(): void {
  const archive = clientArchive();
  if (upToDate(STATIC_BINARY, [SOURCE, archive])) return;
  execFileSync('gcc', [...CFLAGS, '-DSTATIC_TARGET', `-I${UAPI}`, `-I${CLIENT_INCLUDE}`, '-c', '-o', STATIC_OBJECT, SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
  const grpc = execFileSync('pkg-config', ['--static', '--libs', 'grpc++', 'protobuf'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  try {
    execFileSync('g++', ['-static', '-o', STATIC_BINARY, STATIC_OBJECT, archive, ...grpc, ...UCM_LIBS, '-lpthread', '-ldl'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer };
    process.stderr.write(err.stderr?.toString() ?? '');
    throw new Error(`static link of ${STATIC_BINARY} failed`);
  }
}

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${UAPI}`, `-I${CLIENT_INCLUDE}`], [...clientLibs(), ...UCM_LIBS]);
  buildStatic();
}

function checkValues(figures: readonly Figure[]): void {
  for (const f of figures) {
    if (f.value !== 'caught' && f.value !== 'missed') throw new Error(`figure ${f.figure}: unexpected value ${String(f.value)}`);
  }
}

function host(binary: string, engine: string): Promise<string> {
  return hostStdout(binary, ['--engine', engine]);
}

export const coverage: Benchmark = {
  name: BENCH,
  summary: 'which invalidation sources uffd, UCM (host) and the device (QEMU guest) catch, also in a -static target: "caught"/"missed" per source',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const kernel = kernelOption(o['kernel']);
    build();
    const out = [await host(BINARY, 'uffd'), await host(STATIC_BINARY, 'uffd'), await host(BINARY, 'ucm'), await host(STATIC_BINARY, 'ucm')].join('\n');
    const required = [...expected('uffd', true), ...expected('ucm', true)];
    if (o['no-guest'] !== true) {
      // One boot for both programs.
      const g = await guestStdout(kernel, {}, [releaseCommand(BENCH), [BINARY, '--engine', 'device'], [STATIC_BINARY, '--engine', 'device']]);
      const release = guestRelease(g, BENCH, kernel);
      const figures = collect(out + '\n' + g, BENCH, [...required, ...expected('device', true)], 'host and guest').filter((f) => f.figure !== release.figure);
      checkValues(figures);
      return [...figures, release];
    }
    const figures = collect(out, BENCH, required, 'host');
    checkValues(figures);
    return figures;
  },
};
