// Pure helpers of bench/register (no I/O, unit-tested in measured.test.ts):
// picking the drivers' result lines out of (possibly a guest's console)
// output, checking them, and turning them into figures.

import type { Registration } from '../../clients/node/src/client.ts';
import type { Figure } from '../figures.ts';
import { median, round } from './stats.ts';

export const BENCH = 'register';
export type Engine = 'uffd' | 'device';

/** What register-node.ts measured through the daemon. */
export interface ClientMeasured {
  readonly engine: Engine;
  /** Registrations per second, one per call, one value per round. */
  readonly single_rates: readonly number[];
  /** Registrations per second, `batch` per call, one value per round. */
  readonly batch_rates: readonly number[];
  readonly single_p50_us: number;
  readonly single_p99_us: number;
  readonly batch_call_p50_ms: number;
}

/** What register-ioctl.c measured on the device directly. */
export interface IoctlMeasured {
  readonly rates: readonly number[];
  readonly p50_us: number;
  readonly p99_us: number;
}

/**
 * The result line of driver `driver` in mixed output: whatever starts at
 * `{"driver":"<driver>"` up to the end of its line (a guest's console has
 * CR LF endings and may put it after a partial line). Exactly one is expected.
 */
export function resultLine(output: string, driver: string): string {
  const marker = `{"driver":"${driver}"`;
  const found: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r/g, '');
    const at = line.indexOf(marker);
    if (at >= 0) found.push(line.slice(at).trim());
  }
  if (found.length !== 1) throw new Error(`expected one result line from the ${driver} driver, found ${found.length}`);
  return found[0] as string;
}

function object(line: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`${what}: result is not JSON: ${line}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what}: result is not an object: ${line}`);
  return v as Record<string, unknown>;
}

function positive(v: Record<string, unknown>, k: string, what: string): number {
  const x = v[k];
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw new Error(`${what}: ${k} is not a positive number: ${JSON.stringify(x)}`);
  return x;
}

function series(v: Record<string, unknown>, k: string, n: number, what: string): number[] {
  const s = v[k];
  if (!Array.isArray(s) || s.length !== n || !s.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
    throw new Error(`${what}: ${k} is not ${n} positive numbers: ${JSON.stringify(s)}`);
  }
  return s as number[];
}

/** Checks register-node.ts's line: the engine asked for, one rate per round, positive latencies. */
export function parseClient(line: string, engine: Engine, rounds: number): ClientMeasured {
  const what = `node driver (${engine})`;
  const v = object(line, what);
  if (v['engine'] !== engine) throw new Error(`${what}: ran on engine ${String(v['engine'])}, expected ${engine}`);
  return {
    engine,
    single_rates: series(v, 'single_rates', rounds, what),
    batch_rates: series(v, 'batch_rates', rounds, what),
    single_p50_us: positive(v, 'single_p50_us', what),
    single_p99_us: positive(v, 'single_p99_us', what),
    batch_call_p50_ms: positive(v, 'batch_call_p50_ms', what),
  };
}

/** Checks register-ioctl.c's line. */
export function parseIoctl(line: string, rounds: number): IoctlMeasured {
  const what = 'ioctl driver';
  const v = object(line, what);
  if (v['engine'] !== 'device') throw new Error(`${what}: engine ${String(v['engine'])}, expected device`);
  return { rates: series(v, 'rates', rounds, what), p50_us: positive(v, 'p50_us', what), p99_us: positive(v, 'p99_us', what) };
}

/**
 * The client figures. On the host (prefix "") they keep their names and
 * targets; in the guest (prefix "device_") the targets are dropped: under
 * TCG everything costs several times what it does on hardware.
 */
export function clientFigures(m: ClientMeasured, batch: number, prefix: string): Figure[] {
  const single = median(m.single_rates);
  const batched = median(m.batch_rates);
  const t = (target: string): string | null => (prefix === '' ? target : null);
  const f = (figure: string, value: number, unit: string, target: string | null): Figure => ({
    bench: BENCH,
    figure: prefix + figure,
    value: round(value),
    unit,
    target,
  });
  return [
    f('single_registrations_per_s', single, '/s', null),
    f('single_register_p50_us', m.single_p50_us, 'us', t('< 150')),
    f('single_register_p99_us', m.single_p99_us, 'us', t('< 150')),
    f(`batched_${batch}_registrations_per_s`, batched, '/s', t('>= 250000')),
    f(`batched_${batch}_call_p50_ms`, m.batch_call_p50_ms, 'ms', null),
    f('ratio_batched_over_single', batched / single, 'x', null),
  ];
}

/** The raw ioctl's figures and how many times faster it is than the daemon on the same device, same boot. */
export function ioctlFigures(io: IoctlMeasured, device: ClientMeasured): Figure[] {
  const rate = median(io.rates);
  const f = (figure: string, value: number, unit: string): Figure => ({ bench: BENCH, figure, value: round(value), unit, target: null });
  return [
    f('ioctl_registrations_per_s', rate, '/s'),
    f('ioctl_register_p50_us', io.p50_us, 'us'),
    f('ioctl_register_p99_us', io.p99_us, 'us'),
    f('ratio_ioctl_over_device_single', rate / median(device.single_rates), 'x'),
    f('ratio_ioctl_over_device_batched', rate / median(device.batch_rates), 'x'),
  ];
}

/** One page per registration, consecutive pages from `base`, cookies from `firstCookie`. */
export function pageRegistrations(base: bigint, pageSize: number, count: number, firstCookie: bigint): Registration[] {
  const page = BigInt(pageSize);
  return Array.from({ length: count }, (_, i) => {
    const start = base + BigInt(i) * page;
    return { cookie: firstCookie + BigInt(i), start, end: start + page };
  });
}

/** `list` cut into consecutive pieces of `size` (the last may be shorter). */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new Error(`chunk size ${size}: expected at least 1`);
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
