import { describe, expect, it } from 'vitest';
import { GUEST_EVENTS, HOST_EVENTS, expectedFigures, latencyPlan, programArgs, warmupFor } from './plan.ts';

describe('latencyPlan', () => {
  it('defaults to 100,000 events on the host and fewer in the guest', () => {
    expect(latencyPlan({})).toEqual({ hostEvents: HOST_EVENTS, guestEvents: GUEST_EVENTS, batch: 1000, kernel: '6.12', guest: true });
    expect(HOST_EVENTS).toBe(100_000);
    expect(GUEST_EVENTS).toBeLessThan(HOST_EVENTS);
  });

  it('applies --events to both, --guest-events to the guest alone', () => {
    expect(latencyPlan({ events: '500' })).toMatchObject({ hostEvents: 500, guestEvents: 500 });
    expect(latencyPlan({ events: '500', 'guest-events': '20' })).toMatchObject({ hostEvents: 500, guestEvents: 20 });
    expect(latencyPlan({ 'guest-events': '20' })).toMatchObject({ hostEvents: HOST_EVENTS, guestEvents: 20 });
  });

  it('takes --kernel, --batch and --no-guest', () => {
    expect(latencyPlan({ kernel: '6.1', batch: '64', 'no-guest': true })).toMatchObject({ kernel: '6.1', batch: 64, guest: false });
  });

  it('refuses bad values, naming the option', () => {
    expect(() => latencyPlan({ events: '0' })).toThrow(/--events/);
    expect(() => latencyPlan({ events: '1e5' })).toThrow(/--events/);
    expect(() => latencyPlan({ 'guest-events': '-3' })).toThrow(/--guest-events/);
    expect(() => latencyPlan({ batch: 'x' })).toThrow(/--batch/);
    expect(() => latencyPlan({ kernel: 'latest' })).toThrow(/--kernel/);
  });
});

describe('warmupFor', () => {
  it('is a tenth of the events, between 10 and 1,000', () => {
    expect(warmupFor(1)).toBe(10);
    expect(warmupFor(2000)).toBe(200);
    expect(warmupFor(100_000)).toBe(1000);
  });
});

describe('expectedFigures', () => {
  it('names the figures after the engine', () => {
    expect(expectedFigures('uffd')).toContain('uffd_latency_p50_us');
    expect(expectedFigures('uffd')).toContain('uffd_latency_p99_us');
    expect(expectedFigures('uffd')).toContain('uffd_latency_max_us');
    expect(expectedFigures('device')).toContain('device_latency_events');
    expect(expectedFigures('device').every((f) => f.startsWith('device_latency_'))).toBe(true);
  });
});

describe('programArgs', () => {
  it('keeps the targets on the host and drops them in the guest', () => {
    expect(programArgs('uffd', 100, 10)).toEqual(['--engine', 'uffd', '--events', '100', '--warmup', '10', '--batch', '10']);
    const device = programArgs('device', 2000, 1000);
    expect(device).toContain('--no-targets');
    expect(device.slice(0, 2)).toEqual(['--engine', 'device']);
  });
});
