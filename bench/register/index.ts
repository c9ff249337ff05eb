// `npm run bench -- register`: Register throughput, one registration per call
// vs. 1,000 per call (DESIGN.md section 8, "Register/unregister throughput"),
// on the host (uffd engine), through the Node client against a real daemon
// whose target is this process. The memory is one large anonymous mapping
// (test/support/memops), one page per registration; every round starts from
// an empty daemon (the previous round's registrations are unregistered,
// untimed) and ends with GetInfo checking the daemon holds exactly what was
// registered. The raw-ioctl comparison on the device is not measured here
// (bench/kernel's register_ns_1m times REGISTER_REGION in a guest).

import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registration } from '../../clients/node/src/client.ts';
import { OpenClient } from '../../clients/node/src/open.ts';
import { memops } from '../../test/support/memops/index.ts';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { median, percentile, round } from './stats.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH = 'register';

interface Params {
  readonly singles: number;
  readonly batch: number;
  readonly calls: number;
  readonly rounds: number;
}

function params(o: OptionValues): Params {
  return {
    singles: positiveInt('singles', o['singles'], 2000),
    batch: positiveInt('batch', o['batch'], 1000),
    calls: positiveInt('calls', o['calls'], 20),
    rounds: positiveInt('rounds', o['rounds'], 5),
  };
}

/** One page per registration, consecutive pages from `base`, cookies from `firstCookie`. */
export function pageRegistrations(base: bigint, pageSize: number, count: number, firstCookie: bigint): Registration[] {
  const page = BigInt(pageSize);
  return Array.from({ length: count }, (_, i) => {
    const start = base + BigInt(i) * page;
    return { cookie: firstCookie + BigInt(i), start, end: start + page };
  });
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export const register: Benchmark = {
  name: BENCH,
  summary: 'Register throughput and latency, one per call vs. 1,000 per call, node client, host/uffd',
  options: {
    singles: { type: 'string', help: 'one-per-call registrations per round (default 2000)' },
    batch: { type: 'string', help: 'registrations per batched call (default 1000)' },
    calls: { type: 'string', help: 'batched calls per round (default 20)' },
    rounds: { type: 'string', help: 'rounds of each kind, alternating (default 5)' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    process.env['UMMUNOTIFYD'] ??= join(REPO, 'bin', 'ummunotifyd');
    const pageSize = memops.pageSize();
    const pages = Math.max(p.singles, p.batch * p.calls);
    const base = memops.mmapAnon(pages);
    const opened = await OpenClient.open({ engine: 'uffd', daemonArgs: ['--log-level', 'warn'] });
    try {
      const client = opened.client;
      const info = await client.info();
      if (info.engine !== 'ENGINE_UFFD') throw new Error(`the daemon runs engine ${info.engine}, expected uffd`);
      let cookie = 1n;

      const expectHeld = async (n: number, when: string): Promise<void> => {
        const held = Number((await client.info()).registrations);
        if (held !== n) throw new Error(`${when}: the daemon holds ${held} registrations, expected ${n}`);
      };
      const clear = async (regs: readonly Registration[]): Promise<void> => {
        for (const c of chunks(regs, 1000)) await client.unregister(c.map((r) => r.cookie));
        await expectHeld(0, 'after unregistering');
      };

      // Warm-up, untimed (JIT on both sides): 1,000 one-per-call, then batches of 1,000.
      const warm = pageRegistrations(base, pageSize, Math.min(5000, pages), cookie);
      cookie += BigInt(warm.length);
      for (const r of warm.slice(0, 1000)) await client.register(r);
      for (const g of chunks(warm.slice(1000), 1000)) await client.register(g);
      await clear(warm);

      const latenciesUs: number[] = [];
      const singleRates: number[] = [];
      const batchRates: number[] = [];
      const batchCallMs: number[] = [];
      for (let round = 0; round < p.rounds; round++) {
        // One per call.
        const singles = pageRegistrations(base, pageSize, p.singles, cookie);
        cookie += BigInt(singles.length);
        const r0 = process.hrtime.bigint();
        for (const r of singles) {
          const t0 = process.hrtime.bigint();
          await client.register(r);
          latenciesUs.push(Number(process.hrtime.bigint() - t0) / 1000);
        }
        singleRates.push(p.singles / (Number(process.hrtime.bigint() - r0) / 1e9));
        await expectHeld(p.singles, 'after one-per-call registering');
        await clear(singles);

        // Batched.
        const batched = pageRegistrations(base, pageSize, p.batch * p.calls, cookie);
        cookie += BigInt(batched.length);
        const groups = chunks(batched, p.batch);
        const b0 = process.hrtime.bigint();
        for (const g of groups) {
          const t0 = process.hrtime.bigint();
          await client.register(g);
          batchCallMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        batchRates.push(batched.length / (Number(process.hrtime.bigint() - b0) / 1e9));
        await expectHeld(batched.length, 'after batched registering');
        await clear(batched);
        process.stderr.write(
          `  round ${round + 1}/${p.rounds}: ${Math.round(singleRates[round]!)} /s one per call, ${Math.round(batchRates[round]!)} /s batched\n`,
        );
      }

      const single = median(singleRates);
      const batchedRate = median(batchRates);
      return [
        { bench: BENCH, figure: 'single_registrations_per_s', value: round(single), unit: '/s', target: null },
        { bench: BENCH, figure: 'single_register_p50_us', value: round(percentile(latenciesUs, 50)), unit: 'us', target: '< 150' },
        { bench: BENCH, figure: 'single_register_p99_us', value: round(percentile(latenciesUs, 99)), unit: 'us', target: '< 150' },
        { bench: BENCH, figure: `batched_${p.batch}_registrations_per_s`, value: round(batchedRate), unit: '/s', target: '>= 250000' },
        { bench: BENCH, figure: `batched_${p.batch}_call_p50_ms`, value: round(percentile(batchCallMs, 50)), unit: 'ms', target: null },
        { bench: BENCH, figure: 'ratio_batched_over_single', value: round(batchedRate / single), unit: 'x', target: null },
      ];
    } finally {
      await opened.close();
      memops.munmap(base, pages);
    }
  },
};
