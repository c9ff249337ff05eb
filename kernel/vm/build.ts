// Building ummunotify.ko for one kernel, W=1 clean or not at all.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './kernels.ts';
import { HarnessError, describeExit, run } from './proc.ts';

export const BUILD_ROOT = join(REPO_ROOT, 'build');

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
  const result = await run('flock', [
    join(lockDir, `.${kver}.lock`),
    'sh',
    '-c',
    'rm -f "$5"/*.o && make -C "$1" KVER="$2" && cp "$3" "$4"',
    'sh',
    join(REPO_ROOT, 'kernel'),
    kver,
    moduleOutputPath(kver),
    copyTo,
    join(BUILD_ROOT, 'kernel', kver),
  ]);
  print(result.output);
  if (result.code !== 0) throw new HarnessError(`building ummunotify.ko for ${kver} failed (${describeExit(result)}); output above`);
  const warnings = buildWarnings(result.output);
  if (warnings.length > 0) {
    throw new HarnessError(`building ummunotify.ko for ${kver} printed ${warnings.length} warning(s); the build must be W=1 clean:\n${warnings.join('\n')}`);
  }
  return readFile(copyTo);
}
