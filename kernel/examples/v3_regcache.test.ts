// A consumer written in 2010 against the v3 interface must compile against
// today's header and behave as DESIGN section 3 says, on the real module.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeKernel } from '../vm/build.ts';
import { REPO_ROOT } from '../vm/kernels.ts';
import { describeExit } from '../vm/proc.ts';
import { BOOT_TIMEOUT_MS, explain, npmVm } from '../vm/npm-vm.ts';

const BINARY = join(REPO_ROOT, 'build', 'kernel', 'examples', 'v3_regcache');

describe('a v3-only registration cache (kernel/examples/v3_regcache.c)', () => {
  beforeAll(async () => {
    // -std=gnu99 -Werror against kernel/include/uapi alone: no feature, no new name.
    const build = await makeKernel(['examples']);
    if (build.code !== 0) throw new Error(`make -C kernel examples failed (${describeExit(build)}):\n${build.output}`);
  });

  for (const kernel of ['6.1', '6.12']) {
    it(`evicts the stale entry when b = mmap() reuses a's address (${kernel})`, { timeout: BOOT_TIMEOUT_MS }, async () => {
      const r = await npmVm(['--kernel', kernel, '--', BINARY]);
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout).toMatch(/^register cookie 1 at /m);
      // The only invalidation hit exactly one page of a: one report, with HINT.
      expect(r.stdout).toMatch(/^evicting cookie 1 \[0x[0-9a-f]+, 0x[0-9a-f]+\) \(hint\)$/m);
      expect(r.stdout).toMatch(/^register cookie 2 at /m);
      expect(r.stdout).toMatch(/counter 1; 1 eviction\(s\)/);
    });
  }
});
