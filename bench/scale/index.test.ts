import { describe, expect, it } from 'vitest';
import { asModuleFigures, expectedFigures, params, programArgs } from './index.ts';

describe('scale expectedFigures', () => {
  it('names figures after the engine and the counts', () => {
    const names = expectedFigures('uffd', 1000, 1_000_000);
    expect(names).toContain('uffd_ratio_1m_over_1k');
    expect(names).toContain('uffd_invalidation_ns_1m');
    expect(names).toContain('uffd_daemon_cpu_ns_1k');
    expect(names.every((n) => n.startsWith('uffd_'))).toBe(true);
    expect(expectedFigures('device', 1000, 20_000)).toContain('device_ratio_20k_over_1k');
  });
});

describe('scale params', () => {
  const base = { kernel: '6.12' };
  it('has the documented defaults', () => {
    expect(params(base)).toEqual({ kernel: '6.12', small: 1000, large: 1_000_000, guestLarge: 1_000_000, iters: 2000, batches: 5, batch: 1000, guest: true, module: false });
  });
  it('rejects small >= large, bad numbers, a bad kernel and huge batches', () => {
    expect(() => params({ ...base, small: '5000', large: '5000' })).toThrow(/less than/);
    expect(() => params({ ...base, iters: '0' })).toThrow(/--iters/);
    expect(() => params({ kernel: 'latest' })).toThrow(/--kernel/);
    expect(() => params({ ...base, batch: '100000' })).toThrow(/--batch/);
  });
  it('reads the boolean switches', () => {
    const p = params({ ...base, 'no-guest': true, module: true });
    expect(p.guest).toBe(false);
    expect(p.module).toBe(true);
  });
});

describe('scale programArgs', () => {
  it('passes the engine and halves the timed iterations in the guest', () => {
    const p = params({ kernel: '6.12', iters: '1000' });
    const host = programArgs(p, 'uffd');
    const guest = programArgs(p, 'device');
    expect(host.slice(0, 2)).toEqual(['--engine', 'uffd']);
    expect(host[host.indexOf('--iters') + 1]).toBe('1000');
    expect(guest[guest.indexOf('--iters') + 1]).toBe('500');
    expect(guest[guest.indexOf('--warmup') + 1]).toBe('50');
    expect(guest[guest.indexOf('--batch') + 1]).toBe('1000');
  });
  it('gives the guest its own large count', () => {
    const p = params({ kernel: '6.12', 'guest-large': '100000' });
    expect(programArgs(p, 'uffd')).toContain('1000000');
    const guest = programArgs(p, 'device');
    expect(guest[guest.indexOf('--large') + 1]).toBe('100000');
    expect(() => params({ kernel: '6.12', 'guest-large': '1000' })).toThrow(/less than/);
  });
});

describe('asModuleFigures', () => {
  it('moves bench/kernel figures into this benchmark under module_', () => {
    const f = asModuleFigures([{ bench: 'kernel', figure: 'ratio_1m_over_1k', value: 1.01, unit: 'x', target: '< 3' }]);
    expect(f).toEqual([{ bench: 'scale', figure: 'module_ratio_1m_over_1k', value: 1.01, unit: 'x', target: '< 3' }]);
  });
});
