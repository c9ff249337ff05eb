import { describe, expect, it } from 'vitest';
import { expectedFigures, params, programArgs } from './index.ts';

describe('storm expectedFigures', () => {
  it('gives the daemon figures to daemon configurations only', () => {
    expect(expectedFigures('uffd')).toContain('uffd_daemon_rss_growth_pct');
    expect(expectedFigures('uffd')).not.toContain('uffd_module_slab_growth_pct');
    expect(expectedFigures('device-raw')).not.toContain('device_raw_daemon_rss_growth_pct');
  });
  it('gives the module figures to the guest configurations', () => {
    expect(expectedFigures('device')).toEqual(expect.arrayContaining(['device_daemon_rss_growth_pct', 'device_module_slab_growth_pct', 'device_kernel_release']));
    expect(expectedFigures('device-raw')).toContain('device_raw_module_slab_growth_pct');
  });
  it('adds the delivered count for the stream configuration', () => {
    expect(expectedFigures('uffd-stream')).toContain('uffd_stream_reports_delivered');
    expect(expectedFigures('uffd')).not.toContain('uffd_reports_delivered');
  });
});

describe('storm params', () => {
  it('has the documented defaults; the guest count follows --count', () => {
    expect(params({ kernel: '6.12' })).toEqual({ kernel: '6.12', regs: 1000, count: 1_000_000, guestCount: 1_000_000, guest: true });
    expect(params({ kernel: '6.1', count: '50000' }).guestCount).toBe(50000);
    expect(params({ kernel: '6.12', 'guest-count': '30000' }).guestCount).toBe(30000);
  });
  it('insists that every registration is hit more than once', () => {
    expect(() => params({ kernel: '6.12', regs: '1000', count: '1500' })).toThrow(/twice/);
    expect(() => params({ kernel: '6.12', regs: '1000', 'guest-count': '1999' })).toThrow(/twice/);
  });
  it('rejects a bad kernel', () => {
    expect(() => params({ kernel: '' })).toThrow(/--kernel/);
  });
});

describe('storm programArgs', () => {
  it('joins the configurations', () => {
    expect(programArgs(['device', 'device-raw'], 10, 100)).toEqual(['--configs', 'device,device-raw', '--regs', '10', '--count', '100']);
  });
});
