// Boots real kernels under QEMU through `npm run vm`, as CI and the other
// tests use it. Never skipped: the harness installs what it needs, and a
// machine where it cannot must fail here, not pass quietly.

import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './kernels.ts';
import { BOOT_TIMEOUT_MS, explain, npmVm } from './npm-vm.ts';

describe('npm run vm (6.1 guest)', () => {
  it('loads the module: /dev/ummunotify is a character device', { timeout: BOOT_TIMEOUT_MS }, async () => {
    const r = await npmVm(['--kernel', '6.1', '--', 'sh', '-c', 'test -c /dev/ummunotify']);
    expect(r.code, explain(r)).toBe(0);
  });

  it("passes the command's exit status through", { timeout: BOOT_TIMEOUT_MS }, async () => {
    const r = await npmVm(['--kernel', '6.1', '--', 'false']);
    expect(r.code, explain(r)).toBe(1);
  });

  it('delivers arguments with spaces and quotes intact, in the host cwd, with the kernel named', { timeout: BOOT_TIMEOUT_MS }, async () => {
    const nasty = ['a b', "it's", '"double"', `mixed 'single' and "double"`, '$HOME `id` $(id)', '\\back\\slash', '', '  lead and trail  ', '*', 'ü'];
    const script = 'printf "%s\\n" "$UMMUNOTIFY_VM_KERNEL" "$PWD"; printf "[%s]" "$@"';
    const r = await npmVm(['--kernel', '6.1', '--', 'sh', '-c', script, 'sh', ...nasty]);
    expect(r.code, explain(r)).toBe(0);
    const [kver, cwd, args] = r.stdout.split('\n');
    expect(kver).toMatch(/^6\.1\.\d+-\d+-amd64$/);
    expect(cwd).toBe(REPO_ROOT);
    // stdout carries the command's bytes only: no kernel log, no CRs.
    expect(args).toBe(nasty.map((a) => `[${a}]`).join(''));
  });

  it('kills a guest that outlives --timeout, with its own exit status', { timeout: BOOT_TIMEOUT_MS }, async () => {
    const r = await npmVm(['--kernel', '6.1', '--timeout', '20', '--', 'sleep', '600']);
    expect(r.code, explain(r)).toBe(124);
    expect(r.stderr).toMatch(/did not finish within 20 s/);
  });
});
