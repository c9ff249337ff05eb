import { describe, expect, it } from 'vitest';
import { buildWarnings, moduleOutputPath } from './build.ts';
import { REPO_ROOT } from './kernels.ts';

describe('buildWarnings', () => {
  it('finds compiler and Kbuild warnings, and nothing in a clean build', () => {
    const clean = [
      "make: Entering directory '/work/main/kernel'",
      '  CC [M]  /work/main/build/kernel/6.1.0-56-amd64/ummunotify.o',
      '  LD [M]  /work/main/build/kernel/6.1.0-56-amd64/ummunotify.ko',
      'Skipping BTF generation for /work/main/build/kernel/6.1.0-56-amd64/ummunotify.ko due to unavailability of vmlinux',
    ].join('\n');
    expect(buildWarnings(clean)).toEqual([]);
    const dirty = `${clean}\n/work/main/kernel/ummunotify.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]\nWARNING: modpost: missing MODULE_LICENSE() in x.o\n`;
    expect(buildWarnings(dirty)).toEqual([
      "/work/main/kernel/ummunotify.c:12:5: warning: no previous prototype for 'f' [-Wmissing-prototypes]",
      'WARNING: modpost: missing MODULE_LICENSE() in x.o',
    ]);
  });

  it('puts each kernel in its own output directory', () => {
    expect(moduleOutputPath('6.12.117+deb12-amd64')).toBe(`${REPO_ROOT}/build/kernel/6.12.117+deb12-amd64/ummunotify.ko`);
  });
});
