// Shared helpers for the addon's tests: this process is its own target.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { native, type NativeEngine, type NativeReport, type UffdEngineOptions } from '../../src/native.ts';
import { memops } from '../../../test/support/memops/index.ts';

export { native, memops };
export const PAGE = BigInt(memops.pageSize());

export interface Harness {
  engine: NativeEngine;
  pidfd: number;
  counter: { load(): bigint; unmap(): void };
  counterFd: number;
  activity: { count: number };
  /** Reads until a LAST whose counter equals the page counter; returns everything before it and the LAST. */
  drain(): Promise<{ invals: Extract<NativeReport, { type: 'inval' }>[]; last: bigint }>;
  close(): void;
}

/** A uffd created here, taken back through pidfd_getfd as the daemon would. */
export function openHarness(options: Partial<Omit<UffdEngineOptions, 'uffd' | 'pidfd' | 'pid'>> = {}): Harness {
  const own = native.createUffd();
  const pidfd = native.pidfdOpen(process.pid);
  const uffd = native.pidfdGetfd(pidfd, own);
  native.close(own);
  const activity = { count: 0 };
  const engine = native.createUffdEngine({
    uffd,
    pidfd,
    pid: process.pid,
    maxRegistrations: options.maxRegistrations ?? 100_000,
    busyPollMicros: options.busyPollMicros ?? 0,
    onActivity: () => {
      activity.count++;
      options.onActivity?.();
    },
  });
  const counterFd = engine.counterFd();
  const counter = native.mapCounter(counterFd);
  return {
    engine,
    pidfd,
    counter,
    counterFd,
    activity,
    async drain() {
      const invals: Extract<NativeReport, { type: 'inval' }>[] = [];
      const deadline = Date.now() + 5000;
      for (;;) {
        for (const r of engine.readEvents(0)) {
          if (r.type === 'inval') invals.push(r);
          else if (r.counter === counter.load()) return { invals, last: r.counter };
        }
        if (Date.now() > deadline) throw new Error(`no LAST matching counter ${counter.load()}`);
        await sleep(1);
      }
    },
    close() {
      counter.unmap();
      native.close(counterFd);
      engine.close();
      native.close(pidfd);
    },
  };
}

/** The VmFlags of the mapping holding `addr` ('uw': registered with userfaultfd in WP mode). */
export function vmFlags(addr: bigint): string[] {
  const smaps = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  let inside = false;
  for (const line of smaps) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) {
      inside = BigInt(`0x${m[1]}`) <= addr && addr < BigInt(`0x${m[2]}`);
      continue;
    }
    if (inside && line.startsWith('VmFlags:')) return line.slice(8).trim().split(/\s+/);
  }
  return [];
}

export const uffdWatched = (addr: bigint): boolean => vmFlags(addr).includes('uw');

export function openFds(): string[] {
  return readdirSync('/proc/self/fd').sort();
}

export function catchError(fn: () => unknown): { message: string; kind?: string; code?: string; errno?: number } {
  try {
    fn();
  } catch (e) {
    return e as { message: string; kind?: string; code?: string; errno?: number };
  }
  throw new Error('expected an error');
}
