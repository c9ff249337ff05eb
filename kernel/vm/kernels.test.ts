import { describe, expect, it } from 'vitest';
import { compareKver, kernelPackages, kverFromDepends, kversWithHeaders, parseKernelSpec } from './kernels.ts';

describe('parseKernelSpec', () => {
  it('maps 6.1 to the distribution default and other series to their newest', () => {
    expect(parseKernelSpec('6.1')).toEqual({ kind: 'default', series: '6.1' });
    expect(parseKernelSpec('6.12')).toEqual({ kind: 'newest', series: '6.12' });
  });

  it('takes full Debian ABI names as they are', () => {
    expect(parseKernelSpec('6.12.117+deb12-amd64')).toEqual({ kind: 'exact', kver: '6.12.117+deb12-amd64' });
    expect(parseKernelSpec('6.1.0-56-amd64')).toEqual({ kind: 'exact', kver: '6.1.0-56-amd64' });
  });

  it('rejects anything else', () => {
    for (const bad of ['', '6', 'latest', '6.12.117', '6.12.117+deb12-cloud-amd64', '6.1.0-56-amd64; rm -rf /']) {
      expect(parseKernelSpec(bad), bad).toBeUndefined();
    }
  });
});

describe('kversWithHeaders', () => {
  // Shaped like `apt-cache pkgnames linux-image-6.12.` + `linux-headers-6.12.` on bookworm.
  const names = [
    'linux-image-6.12-amd64',
    'linux-image-6.12.100+deb12-amd64',
    'linux-image-6.12.101+deb12-amd64',
    'linux-image-6.12.107+deb12-amd64',
    'linux-image-6.12.107+deb12-amd64-dbg',
    'linux-image-6.12.107+deb12-amd64-unsigned',
    'linux-image-6.12.9+deb12-amd64',
    'linux-image-6.12.117+deb12-amd64',
    'linux-image-6.12.119+deb12-cloud-amd64',
    'linux-image-6.12.118+deb12-rt-amd64',
    'linux-headers-6.12-amd64',
    'linux-headers-6.12.9+deb12-amd64',
    'linux-headers-6.12.107+deb12-amd64',
    'linux-headers-6.12.117+deb12-amd64',
    'linux-headers-6.12.117+deb12-common',
    'linux-headers-6.12.119+deb12-cloud-amd64',
    'linux-headers-6.12.118+deb12-rt-amd64',
    'linux-headers-6.12.120+deb12-amd64',
  ];

  it('keeps plain amd64 images that have headers, newest first, numerically', () => {
    expect(kversWithHeaders('6.12', names)).toEqual(['6.12.117+deb12-amd64', '6.12.107+deb12-amd64', '6.12.9+deb12-amd64']);
  });

  it('does not confuse series sharing a prefix', () => {
    expect(kversWithHeaders('6.1', ['linux-image-6.12.117+deb12-amd64', 'linux-headers-6.12.117+deb12-amd64'])).toEqual([]);
    expect(kversWithHeaders('6.1', ['linux-image-6.1.0-56-amd64', 'linux-headers-6.1.0-56-amd64', 'linux-image-6.1.0-9-amd64', 'linux-headers-6.1.0-9-amd64'])).toEqual([
      '6.1.0-56-amd64',
      '6.1.0-9-amd64',
    ]);
  });

  it('gives nothing for no lists', () => {
    expect(kversWithHeaders('6.12', [])).toEqual([]);
  });
});

describe('kverFromDepends', () => {
  it('reads the ABI name out of a metapackage Depends field', () => {
    expect(kverFromDepends('linux-image-6.1.0-56-amd64 (= 6.1.192-2)', 'linux-image-')).toBe('6.1.0-56-amd64');
    expect(kverFromDepends('linux-headers-6.1.0-56-amd64 (= 6.1.192-2)', 'linux-headers-')).toBe('6.1.0-56-amd64');
    expect(kverFromDepends('foo, linux-image-6.12.117+deb12-amd64 (= 6.12.117-1~deb12u1)', 'linux-image-')).toBe('6.12.117+deb12-amd64');
  });

  it('gives undefined when there is none', () => {
    expect(kverFromDepends('', 'linux-image-')).toBeUndefined();
    expect(kverFromDepends('linux-headers-6.1.0-56-amd64', 'linux-image-')).toBeUndefined();
  });
});

describe('compareKver / kernelPackages', () => {
  it('orders by number, not by text', () => {
    expect(compareKver('6.1.0-56-amd64', '6.1.0-9-amd64')).toBeGreaterThan(0);
    expect(compareKver('6.12.9+deb12-amd64', '6.12.117+deb12-amd64')).toBeLessThan(0);
    expect(compareKver('6.12.117+deb12-amd64', '6.12.117+deb12-amd64')).toBe(0);
  });

  it('names the image and headers packages', () => {
    expect(kernelPackages('6.12.117+deb12-amd64')).toEqual(['linux-image-6.12.117+deb12-amd64', 'linux-headers-6.12.117+deb12-amd64']);
  });
});
