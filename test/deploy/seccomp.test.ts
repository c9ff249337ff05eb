// The containers' seccomp profile: generated from deploy/seccomp/profile.ts,
// denies what it says it denies, and really runs the target and its daemon
// (the filter loaded by libseccomp on this host, since no container engine
// runs here: deploy/seccomp/apply.py).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADDED, buildProfile, CLONE_NAMESPACE_FLAGS, profileJson, type SeccompProfile, type SeccompRule } from '../../deploy/seccomp/profile.ts';
import { haveSeccomp, skipWithout, SYSTEM_PYTHON } from './tools.ts';

const PROFILE = 'deploy/seccomp/ummunotify.json';
const APPLY = 'deploy/seccomp/apply.py';

/** Never allowed to an unprivileged container: namespaces, mounts, modules, kernel-wide state, other processes' memory. */
const DENIED = [
  'mount', 'umount', 'umount2', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr', 'pivot_root', 'chroot',
  'unshare', 'setns', 'clone3',
  'init_module', 'finit_module', 'delete_module', 'kexec_load', 'kexec_file_load', 'reboot',
  'bpf', 'perf_event_open', 'syslog', 'acct', 'swapon', 'swapoff', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'fanotify_init',
  'sethostname', 'setdomainname', 'settimeofday', 'clock_settime', 'clock_settime64', 'stime', 'iopl', 'ioperm', 'vhangup',
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'process_madvise', 'kcmp', 'open_by_handle_at',
  'keyctl', 'add_key', 'request_key', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
  'modify_ldt', 'nfsservctl', 'uselib',
];

function unconditional(profile: SeccompProfile): Set<string> {
  return new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args?.length).flatMap((r) => r.names));
}

function rulesFor(profile: SeccompProfile, name: string): SeccompRule[] {
  return profile.syscalls.filter((r) => r.names.includes(name));
}

describe('the seccomp profile', () => {
  const profile = JSON.parse(readFileSync(PROFILE, 'utf8')) as SeccompProfile;

  it('is the file deploy/seccomp/generate.ts writes (never edited by hand)', () => {
    expect(readFileSync(PROFILE, 'utf8'), 'run: npx tsx deploy/seccomp/generate.ts').toBe(profileJson());
    expect(profile).toEqual(buildProfile());
  });

  it('is a complete allowlist: everything not listed fails with EPERM', () => {
    expect(profile.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(profile.defaultErrnoRet).toBe(1);
    expect(profile.archMap.map((a) => a.architecture)).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
    for (const rule of profile.syscalls) {
      expect(Object.keys(rule).every((k) => ['names', 'action', 'errnoRet', 'args', 'comment'].includes(k)), JSON.stringify(rule)).toBe(true);
      expect(['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO']).toContain(rule.action);
    }
  });

  it('allows what the target and the daemon need beyond the usual: userfaultfd, pidfd_open, pidfd_getfd', () => {
    const allowed = unconditional(profile);
    for (const name of ['userfaultfd', 'pidfd_open', 'pidfd_getfd', ...ADDED]) expect(allowed.has(name), name).toBe(true);
  });

  it('allows none of the dangerous ones', () => {
    const allowed = unconditional(profile);
    expect(DENIED.filter((name) => allowed.has(name))).toEqual([]);
    // And no conditional rule lets any of them through either, but clone's (below).
    const conditional = profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && r.args?.length).flatMap((r) => r.names);
    expect(new Set(conditional)).toEqual(new Set(['socket', 'personality', 'clone']));
  });

  it('allows clone only without namespace flags, and answers clone3 with ENOSYS', () => {
    expect(rulesFor(profile, 'clone')).toEqual([
      expect.objectContaining({ action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }),
    ]);
    // CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: all covered by the mask.
    for (const flag of [0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000]) expect(CLONE_NAMESPACE_FLAGS & flag).toBe(flag);
    expect(rulesFor(profile, 'clone3')).toEqual([expect.objectContaining({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 })]);
    for (const rule of rulesFor(profile, 'personality')) expect(rule.args?.[0]?.op).toBe('SCMP_CMP_EQ');
    expect(rulesFor(profile, 'socket')).toEqual([expect.objectContaining({ args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] })]);
  });
});

describe.skipIf(skipWithout(haveSeccomp))('the seccomp profile, loaded', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs CMD under the profile (less `without`), to its end. */
  function underProfile(command: readonly string[], options: { without?: readonly string[]; env?: NodeJS.ProcessEnv; profile?: string } = {}) {
    const without = (options.without ?? []).flatMap((name) => ['--without', name]);
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(SYSTEM_PYTHON, [APPLY, options.profile ?? PROFILE, ...without, '--', ...command], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => resolve({ code, out }));
    });
  }

  const service = { REGCACHE_ROUNDS: '2', REGCACHE_INTERVAL_S: '0.1', UMMUNOTIFYD: 'bin/ummunotifyd', UMMUNOTIFY_ENGINE: 'uffd' };

  it('libseccomp and its Python binding are installed (scripts/setup.sh)', () => {
    expect(haveSeccomp, `${SYSTEM_PYTHON} cannot import seccomp: install python3-seccomp`).toBe(true);
  });

  it('runs the Python target service and the daemon it spawns (uffd engine, pidfd_getfd)', async () => {
    const run = await underProfile(['.venv/bin/python', 'deploy/regcache_service.py'], { env: service });
    expect(run.out).toContain('round 2: stale registration evicted');
    expect(run.code, run.out).toBe(0);
  });

  it('is what lets them: without userfaultfd the target cannot create its uffd', async () => {
    const run = await underProfile(['.venv/bin/python', 'deploy/regcache_service.py'], { env: service, without: ['userfaultfd'] });
    expect(run.out).toContain('userfaultfd: Operation not permitted (EPERM)');
    expect(run.code).toBe(1);
  });

  it('refuses new namespaces', async () => {
    const run = await underProfile(['unshare', '--user', '--map-root-user', 'true']);
    expect(run.out).toContain('Operation not permitted');
    expect(run.code).not.toBe(0);
  });

  it('refuses a profile apply.py would read differently from runc', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umn-seccomp-'));
    dirs.push(dir);
    const odd = join(dir, 'odd.json');
    writeFileSync(odd, JSON.stringify({ ...buildProfile(), syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } }] }));
    const run = await underProfile(['true'], { profile: odd });
    expect(run.out).toContain('not understood');
    expect(run.code).not.toBe(0);
  });
});
