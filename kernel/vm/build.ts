// Building ummunotify.ko for one kernel, W=1 clean or not at all.

import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './kernels.ts';
import { HarnessError, describeExit, run, type RunResult } from './proc.ts';

export const BUILD_ROOT = join(REPO_ROOT, 'build');

/** File names make and Kbuild take as they are; a blank, above all, splits one in two. */
const MAKE_SAFE = /^[A-Za-z0-9_\/.,+@%=~-]+$/;

/**
 * The repository as make may name it. kernel/Makefile names everything by
 * absolute path and make splits file names at blanks (Kbuild refuses an M=
 * holding one), so a checkout whose path has one ("/tmp/x y/clone") is
 * reached through a symlink in a fresh temporary directory, removed once
 * `use` is done. The Makefile is given with -f, so that it names itself by
 * the link: make's own working directory is always the physical path.
 */
export async function withMakeableRepo<T>(use: (repo: string) => Promise<T>): Promise<T> {
  if (MAKE_SAFE.test(REPO_ROOT)) return use(REPO_ROOT);
  const dir = await mkdtemp(join(MAKE_SAFE.test(tmpdir()) ? tmpdir() : '/tmp', 'ummunotify-make-'));
  try {
    const link = join(dir, 'repo');
    await symlink(REPO_ROOT, link);
    return await use(link);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `make -C kernel TARGET...` (selftest, examples), wherever the checkout is. */
export function makeKernel(args: readonly string[]): Promise<RunResult> {
  return withMakeableRepo((repo) => run('make', ['-C', join(repo, 'kernel'), '-f', join(repo, 'kernel', 'Makefile'), ...args]));
}

/** Lines of compiler/Kbuild output that are warnings; the issue demands a W=1 build with none. */
export function buildWarnings(output: string): string[] {
  return output.split('\n').filter((line) => /\bwarning:/i.test(line));
}

export function moduleOutputPath(kver: string): string {
  return join(BUILD_ROOT, 'kernel', kver, 'ummunotify.ko');
}

/**
 * `make -C kernel KVER=<kver>`, then a private copy of the .ko. The objects
 * are removed first: make would skip an up-to-date object silently, and
 * its warnings with it, so a build that once warned could pass later. All
 * of this happens
 * under a lock per kver: the selftest and bench helpers run the harness
 * concurrently, and two Kbuild runs in one output directory (or a copy taken
 * while another run relinks the .ko) would corrupt each other.
 */
export async function buildModule(kver: string, copyTo: string, print: (text: string) => void): Promise<Uint8Array> {
  const lockDir = join(BUILD_ROOT, 'kernel');
  await mkdir(lockDir, { recursive: true });
  const result = await withMakeableRepo((repo) =>
    run('flock', [
      join(lockDir, `.${kver}.lock`),
      'sh',
      '-c',
      'rm -f "$5"/*.o && make -C "$1" -f "$1/Makefile" KVER="$2" && cp "$3" "$4"',
      'sh',
      join(repo, 'kernel'),
      kver,
      moduleOutputPath(kver),
      copyTo,
      join(BUILD_ROOT, 'kernel', kver),
    ]),
  );
  print(result.output);
  if (result.code !== 0) throw new HarnessError(`building ummunotify.ko for ${kver} failed (${describeExit(result)}); output above`);
  const warnings = buildWarnings(result.output);
  if (warnings.length > 0) {
    throw new HarnessError(`building ummunotify.ko for ${kver} printed ${warnings.length} warning(s); the build must be W=1 clean:\n${warnings.join('\n')}`);
  }
  return readFile(copyTo);
}
