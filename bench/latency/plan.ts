// Pure helpers of `npm run bench -- latency` (no I/O; unit-tested in plan.test.ts).

import type { OptionValues } from '../benchmark.ts';
import { positiveInt } from '../kernel/index.ts';
import { kernelOption } from '../native.ts';

/** Events timed on the host (the figure: 100,000). */
export const HOST_EVENTS = 100_000;
/**
 * Events timed in the guest unless told otherwise. Under TCG one event costs
 * tens of milliseconds (29 ms median on a busy 2-core host), so 100,000 would
 * take about an hour; 2,000 keep the guest run near two minutes.
 */
export const GUEST_EVENTS = 2_000;
export const BATCH = 1_000;

export type Engine = 'uffd' | 'device';

export interface LatencyPlan {
  readonly hostEvents: number;
  readonly guestEvents: number;
  readonly batch: number;
  readonly kernel: string;
  readonly guest: boolean;
}

/** The run's parameters from the command line; throws an Error naming the bad option. */
export function latencyPlan(o: OptionValues): LatencyPlan {
  const events = o['events'] === undefined ? undefined : positiveInt('events', o['events'], HOST_EVENTS);
  const kernel = kernelOption(o['kernel'] ?? '6.12');
  return {
    hostEvents: events ?? HOST_EVENTS,
    // --events sets both; --guest-events overrides the guest's alone.
    guestEvents: positiveInt('guest-events', o['guest-events'], events ?? GUEST_EVENTS),
    batch: positiveInt('batch', o['batch'], BATCH),
    kernel,
    guest: o['no-guest'] !== true,
  };
}

/** Untimed warm-up events before the timed ones: a tenth, at most 1,000, at least 10. */
export function warmupFor(events: number): number {
  return Math.min(1000, Math.max(10, Math.floor(events / 10)));
}

/** The figures latency.c prints for an engine. */
export function expectedFigures(engine: Engine): string[] {
  return ['events', 'p50_us', 'p99_us', 'max_us', 'mean_us', 'munmap_p50_us'].map((s) => `${engine}_latency_${s}`);
}

/** Arguments for latency.c. The device figures carry no target: under TCG they measure the emulator (see the README). */
export function programArgs(engine: Engine, events: number, batch: number): string[] {
  const args = ['--engine', engine, '--events', String(events), '--warmup', String(warmupFor(events)), '--batch', String(batch)];
  if (engine === 'device') args.push('--no-targets', '--timeout-ms', '60000');
  return args;
}
