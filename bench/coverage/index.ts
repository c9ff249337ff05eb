// `npm run bench -- coverage`: which ways of invalidating memory each
// mechanism catches, measured (not taken from documentation) by
// bench/coverage/coverage.c: the uffd engine (through the C client) and UCX's
// memory hooks (UCM) on the host, the device engine in a QEMU guest. One
// informative figure per (engine, source), value "caught" or "missed".

import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { CLIENT_INCLUDE, REPO, UAPI, UCM_LIBS, clientLibs, collect, gcc, runInGuest, runOnHost } from '../native.ts';

export const BENCH = 'coverage';
const SOURCE = join(REPO, 'bench', 'coverage', 'coverage.c');
const BINARY = join(REPO, 'build', 'bench', 'coverage', 'coverage');
const STATIC_BINARY = join(REPO, 'build', 'bench', 'coverage', 'coverage-static');

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

function build(): void {
  gcc(BINARY, [SOURCE], [`-I${UAPI}`, `-I${CLIENT_INCLUDE}`], [...clientLibs(), ...UCM_LIBS]);
  // The static target has no C client (a shared C++ library): UCM (libucm.a) and the device only.
  gcc(STATIC_BINARY, [SOURCE], ['-static', '-DSTATIC_TARGET', `-I${UAPI}`], [...UCM_LIBS, '-lpthread', '-ldl']);
}

function checkValues(figures: readonly Figure[]): void {
  for (const f of figures) {
    if (f.value !== 'caught' && f.value !== 'missed') throw new Error(`figure ${f.figure}: unexpected value ${String(f.value)}`);
  }
}

async function host(binary: string, engine: string): Promise<string> {
  const r = await runOnHost(binary, ['--engine', engine]);
  if (r.code !== 0) throw new Error(`${engine} run of ${binary} exited with status ${String(r.code)}`);
  return r.stdout;
}

export const coverage: Benchmark = {
  name: BENCH,
  summary: 'which invalidation sources uffd, UCM (host) and the device (QEMU guest) catch: "caught"/"missed" per source',
  options: {
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const kernel = o['kernel'];
    if (typeof kernel !== 'string' || !/^\d+\.\d+$/.test(kernel)) throw new Error(`--kernel: expected e.g. 6.12 or 6.1, got ${String(kernel)}`);
    build();
    const out = [await host(BINARY, 'uffd'), await host(BINARY, 'ucm'), await host(STATIC_BINARY, 'ucm')].join('\n');
    const required = [...expected('uffd', false), ...expected('ucm', true)];
    if (o['no-guest'] !== true) {
      // One boot for both programs.
      const script = `${BINARY} --engine device && ${STATIC_BINARY} --engine device`;
      const g = await runInGuest(kernel, '/bin/sh', ['-c', script]);
      if (g.code !== 0) throw new Error(`guest run exited with status ${String(g.code)}`);
      const figures = collect(out + '\n' + g.stdout, BENCH, [...required, ...expected('device', true)], 'host and guest');
      checkValues(figures);
      return figures;
    }
    const figures = collect(out, BENCH, required, 'host');
    checkValues(figures);
    return figures;
  },
};
