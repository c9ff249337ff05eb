import { describe, expect, it } from 'vitest';
import { chunks, clientFigures, ioctlFigures, pageRegistrations, parseClient, parseIoctl, resultLine } from './measured.ts';

const client = {
  driver: 'node',
  engine: 'device',
  single_rates: [100, 300, 200],
  batch_rates: [5000, 4000, 6000],
  single_p50_us: 4000,
  single_p99_us: 9000,
  batch_call_p50_ms: 200,
};
const ioctl = { driver: 'ioctl', engine: 'device', rates: [200000, 100000, 300000], p50_us: 4, p99_us: 9 };
const j = (o: object): string => JSON.stringify(o);

describe('resultLine', () => {
  it('finds the one line of a driver in console output', () => {
    const out = `[ 2.0] x\r\nlog ${j(ioctl)}\r\n${j(client)}\r\n`;
    expect(JSON.parse(resultLine(out, 'ioctl'))).toEqual(ioctl);
    expect(JSON.parse(resultLine(out, 'node'))).toEqual(client);
  });
  it('refuses none or two', () => {
    expect(() => resultLine('nothing\n', 'node')).toThrow(/found 0/);
    expect(() => resultLine(`${j(client)}\n${j(client)}\n`, 'node')).toThrow(/found 2/);
  });
});

describe('parseClient / parseIoctl', () => {
  it('accept what the drivers print', () => {
    expect(parseClient(j(client), 'device', 3).single_rates).toEqual([100, 300, 200]);
    expect(parseIoctl(j(ioctl), 3)).toEqual({ rates: [200000, 100000, 300000], p50_us: 4, p99_us: 9 });
  });
  it('refuse the wrong engine, round count or a bad number', () => {
    expect(() => parseClient(j(client), 'uffd', 3)).toThrow(/engine device, expected uffd/);
    expect(() => parseClient(j(client), 'device', 4)).toThrow(/single_rates is not 4/);
    expect(() => parseClient(j({ ...client, single_p99_us: 0 }), 'device', 3)).toThrow(/single_p99_us/);
    expect(() => parseIoctl(j({ ...ioctl, engine: 'uffd' }), 3)).toThrow(/engine uffd/);
    expect(() => parseIoctl('{', 3)).toThrow(/not JSON/);
  });
});

describe('figures', () => {
  const m = parseClient(j(client), 'device', 3);
  it('keep the host names and targets without a prefix', () => {
    const f = clientFigures({ ...m, engine: 'uffd' }, 1000, '');
    expect(f.map((x) => [x.figure, x.target])).toEqual([
      ['single_registrations_per_s', null],
      ['single_register_p50_us', '< 150'],
      ['single_register_p99_us', '< 150'],
      ['batched_1000_registrations_per_s', '>= 250000'],
      ['batched_1000_call_p50_ms', null],
      ['ratio_batched_over_single', null],
    ]);
    expect(f[5]?.value).toBe(25);
  });
  it('drop the targets in the guest and compare the raw ioctl with the daemon', () => {
    const f = clientFigures(m, 1000, 'device_');
    expect(f.every((x) => x.figure.startsWith('device_') && x.target === null)).toBe(true);
    expect(ioctlFigures(parseIoctl(j(ioctl), 3), m)).toEqual([
      { bench: 'register', figure: 'ioctl_registrations_per_s', value: 200000, unit: '/s', target: null },
      { bench: 'register', figure: 'ioctl_register_p50_us', value: 4, unit: 'us', target: null },
      { bench: 'register', figure: 'ioctl_register_p99_us', value: 9, unit: 'us', target: null },
      { bench: 'register', figure: 'ratio_ioctl_over_device_single', value: 1000, unit: 'x', target: null },
      { bench: 'register', figure: 'ratio_ioctl_over_device_batched', value: 40, unit: 'x', target: null },
    ]);
  });
});

describe('pageRegistrations / chunks', () => {
  it('makes one page per registration, consecutive', () => {
    expect(pageRegistrations(0x10000n, 4096, 2, 7n)).toEqual([
      { cookie: 7n, start: 0x10000n, end: 0x11000n },
      { cookie: 8n, start: 0x11000n, end: 0x12000n },
    ]);
  });
  it('cuts a list into pieces', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
    expect(() => chunks([1], 0)).toThrow();
  });
});
