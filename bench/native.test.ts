import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundleStale, checkRelease, guestRelease, guestScript, kernelOption, releaseCommand } from './native.ts';

describe('guestScript', () => {
  it('exports the environment, runs every command and fails if any failed', () => {
    const script = guestScript({ A: "it's" }, [['sh', '-c', 'echo "$A"; exit 3'], ['echo', 'second']]);
    let out = '';
    let status = 0;
    try {
      out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (e) {
      const err = e as { status: number; stdout: string };
      status = err.status;
      out = err.stdout;
    }
    expect(out).toBe("it's\nsecond\n");
    expect(status).toBe(1);
    expect(execFileSync('/bin/sh', ['-c', guestScript({}, [['true']])], { encoding: 'utf8' })).toBe('');
  });
  it('refuses a bad variable name or an empty command', () => {
    expect(() => guestScript({ 'A-B': 'x' }, [])).toThrow(/variable name/);
    expect(() => guestScript({}, [[]])).toThrow(/empty command/);
  });
});

describe('releaseCommand / guestRelease', () => {
  it('prints this kernel\'s release as a figure that guestRelease checks', () => {
    const [cmd, ...args] = releaseCommand('munmap');
    const out = execFileSync(cmd as string, args, { encoding: 'utf8' });
    const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    const kernel = release.split('.').slice(0, 2).join('.');
    expect(guestRelease(`[ 1.0] noise\r\n${out}`, 'munmap', kernel)).toEqual({
      bench: 'munmap',
      figure: 'guest_kernel_release',
      value: release,
      unit: null,
      target: null,
    });
    expect(() => guestRelease(out, 'munmap', '2.6')).toThrow(/not 2.6/);
    expect(() => guestRelease('', 'munmap', kernel)).toThrow(/missing/);
  });
  it('refuses a bench name that would need quoting', () => {
    expect(() => releaseCommand("a'b")).toThrow();
  });
});

describe('bundleStale', () => {
  it('is stale when missing or older than a source', () => {
    expect(bundleStale(undefined, [])).toBe(true);
    expect(bundleStale(100, [50, 150])).toBe(true);
    expect(bundleStale(100, [50, 100])).toBe(false);
  });
});

describe('kernelOption and checkRelease', () => {
  it('takes a major.minor kernel and refuses anything else, naming the option', () => {
    expect(kernelOption('6.1')).toBe('6.1');
    expect(() => kernelOption('6')).toThrow(/--kernel: expected e.g. 6.12 or 6.1, got 6/);
    expect(() => kernelOption(true)).toThrow(/--kernel/);
  });
  it('refuses a guest release of another kernel, or none', () => {
    expect(() => checkRelease('6.12.117+deb12-amd64', '6.12')).not.toThrow();
    expect(() => checkRelease('6.12.117+deb12-amd64', '6.1')).toThrow(/the guest ran kernel 6.12.117\+deb12-amd64, not 6.1/);
    expect(() => checkRelease(undefined, '6.1')).toThrow(/the guest ran kernel undefined, not 6.1/);
  });
});
