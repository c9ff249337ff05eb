import { describe, expect, it } from 'vitest';
import { crlfFilter, guestEnv, hostCwd, kernelCmdline, parseGuestStatus, qemuArgs } from './vm.ts';

describe('qemuArgs / kernelCmdline', () => {
  const args = qemuArgs({ image: '/boot/vmlinuz-K', initrd: '/c/i.cpio', shareDir: '/t/share', stdoutSocket: '/t/out.sock' });
  const value = (flag: string) => args[args.indexOf(flag) + 1];

  it('uses TCG, never KVM, and powers off instead of rebooting', () => {
    expect(value('-accel')).toBe('tcg');
    expect(args.join(' ')).not.toMatch(/kvm/);
    expect(args).toContain('-no-reboot');
    expect(args).toContain('-nographic');
    expect(value('-m')).toBe('2G');
    expect(value('-smp')).toBe('2');
  });

  it('exports the host root read-only and the scratch dir writable over 9p', () => {
    const virtfs = args.filter((_, i) => args[i - 1] === '-virtfs');
    expect(virtfs).toEqual([
      'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
      'local,path=/t/share,mount_tag=scratch,security_model=none,multidevs=remap',
    ]);
  });

  it('panics on oops, keeps slabs unmerged and shows warnings', () => {
    const cmdline = kernelCmdline();
    expect(value('-append')).toBe(cmdline);
    for (const p of ['console=ttyS0', 'panic=-1', 'oops=panic', 'slab_nomerge', 'loglevel=5']) expect(cmdline.split(' ')).toContain(p);
  });
});

describe('qemuArgs escaping', () => {
  it('doubles commas in paths, as QEMU option syntax wants', () => {
    const args = qemuArgs({ image: '/i', initrd: '/r', shareDir: '/t/a,b', stdoutSocket: '/t/a,b.sock' });
    expect(args).toContain('socket,id=cmdout,path=/t/a,,b.sock');
    expect(args).toContain('local,path=/t/a,,b,mount_tag=scratch,security_model=none,multidevs=remap');
  });
});

describe('parseGuestStatus', () => {
  // Out-of-tree and unsigned module taints (O = 4096, E = 8192) are expected.
  it('reads the exit status and ignores taints that were there before or are harmless', () => {
    expect(parseGuestStatus('0 0 12288\n')).toEqual({ exitCode: 0, newTaints: [] });
    expect(parseGuestStatus('3 512 12800\n')).toEqual({ exitCode: 3, newTaints: [] });
  });

  it('reports WARN, oops, bad page and soft lockup taints that appeared', () => {
    expect(parseGuestStatus('0 0 12800')).toEqual({ exitCode: 0, newTaints: ['W (kernel WARN)'] });
    expect(parseGuestStatus('0 0 16544')?.newTaints).toEqual(['B (bad page)', 'D (kernel oops)', 'L (soft lockup)']);
  });

  it('rejects garbage', () => {
    expect(parseGuestStatus('')).toBeUndefined();
    expect(parseGuestStatus('0')).toBeUndefined();
    expect(parseGuestStatus('x 0 0')).toBeUndefined();
  });
});

describe('crlfFilter', () => {
  it('turns CRLF into LF across chunk boundaries and keeps lone CRs', () => {
    const f = crlfFilter();
    expect(f('a\r\nb\r')).toBe('a\nb');
    expect(f('\nc\r')).toBe('\nc');
    expect(f('x')).toBe('\rx');
    expect(f('[ 1.0] oops\r\r\n')).toBe('[ 1.0] oops\n');
  });
});

describe('guestEnv', () => {
  it('gives a fixed environment with the kernel version and a writable HOME', () => {
    expect(guestEnv('6.1.0-56-amd64', '/usr/bin', {})).toEqual({
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: '/tmp/home',
      LANG: 'C.UTF-8',
      TERM: 'dumb',
      UMMUNOTIFY_VM_KERNEL: '6.1.0-56-amd64',
    });
  });

  it('adds the directory of the host node and passes CI on, nothing else', () => {
    const env = guestEnv('K', '/opt/node/bin', { CI: 'true', SECRET: 'x', PATH: '/evil' });
    expect(env['PATH']).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/node/bin');
    expect(env['CI']).toBe('true');
    expect(env['SECRET']).toBeUndefined();
  });
});

describe('hostCwd', () => {
  it("uses the caller's directory under `npm run vm`, which starts in the package root", () => {
    expect(hostCwd({ npm_lifecycle_event: 'vm', INIT_CWD: '/work/main/bench' }, '/work/main')).toBe('/work/main/bench');
  });

  it('ignores an INIT_CWD inherited from another npm script', () => {
    expect(hostCwd({ npm_lifecycle_event: 'test:kernel', INIT_CWD: '/elsewhere' }, '/work/main')).toBe('/work/main');
    expect(hostCwd({ INIT_CWD: '/elsewhere' }, '/work/main')).toBe('/work/main');
    expect(hostCwd({}, '/work/main')).toBe('/work/main');
  });
});
