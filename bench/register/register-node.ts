// Register driver for Node (bench/register), the same on the host (engine
// uffd) and in a guest (engine device): this process opens its own sidecar
// ($UMMUNOTIFYD) with OpenClient.open and is the target. The memory is one
// anonymous mapping (test/support/memops), one page per registration,
// consecutive pages. After an untimed warm-up, each round registers
// `singles` pages one per call (each call timed) and `calls` x `batch`
// pages `batch` per call; after each, GetInfo must report exactly what was
// registered, and everything is unregistered (untimed), so every round
// starts from an empty daemon. Prints one JSON line on stdout:
//   {"driver":"node","engine":"uffd","single_rates":[..],"batch_rates":[..],
//    "single_p50_us":..,"single_p99_us":..,"batch_call_p50_ms":..}
// Run with `node --import <repo>/node_modules/tsx/dist/loader.mjs` (the tsx
// CLI does not work in the guest), as bin/ummunotifyd does.

import { parseArgs } from 'node:util';
import type { Registration } from '../../clients/node/src/client.ts';
import { OpenClient } from '../../clients/node/src/open.ts';
import { memops } from '../../test/support/memops/index.ts';
import { chunks, pageRegistrations } from './measured.ts';
import { percentile } from './stats.ts';

function count(values: Record<string, string | boolean | undefined>, name: string, zeroOk = false): number {
  const v = values[name];
  if (typeof v !== 'string' || !(zeroOk ? /^\d+$/ : /^[1-9]\d*$/).test(v)) throw new Error(`--${name}: expected a ${zeroOk ? 'non-negative' : 'positive'} integer, got ${String(v)}`);
  return Number(v);
}

async function main(): Promise<void> {
  const opt = { type: 'string' } as const;
  const { values } = parseArgs({
    options: { engine: opt, singles: opt, batch: opt, calls: opt, rounds: opt, 'warm-singles': opt, 'warm-batched': opt },
    strict: true,
  });
  const engine = values.engine;
  if (engine !== 'uffd' && engine !== 'device') throw new Error(`--engine: expected uffd or device, got ${String(engine)}`);
  const p = {
    singles: count(values, 'singles'),
    batch: count(values, 'batch'),
    calls: count(values, 'calls'),
    rounds: count(values, 'rounds'),
    warmSingles: count(values, 'warm-singles', true),
    warmBatched: count(values, 'warm-batched', true),
  };

  const pageSize = memops.pageSize();
  const pages = Math.max(p.singles, p.batch * p.calls, p.warmSingles + p.warmBatched);
  const base = memops.mmapAnon(pages);
  const opened = await OpenClient.open({ engine, daemonArgs: ['--log-level', 'warn'] });
  try {
    const client = opened.client;
    const reported = (await client.info()).engine.toLowerCase().replace(/^engine_/, '');
    let cookie = 1n;

    const expectHeld = async (n: number, when: string): Promise<void> => {
      const held = Number((await client.info()).registrations);
      if (held !== n) throw new Error(`${when}: the daemon holds ${held} registrations, expected ${n}`);
    };
    const clear = async (regs: readonly Registration[]): Promise<void> => {
      for (const c of chunks(regs, 1000)) await client.unregister(c.map((r) => r.cookie));
      await expectHeld(0, 'after unregistering');
    };

    // Warm-up, untimed (JIT on both sides): one per call, then in batches.
    const warm = pageRegistrations(base, pageSize, p.warmSingles + p.warmBatched, cookie);
    cookie += BigInt(warm.length);
    for (const r of warm.slice(0, p.warmSingles)) await client.register(r);
    for (const g of chunks(warm.slice(p.warmSingles), p.batch)) await client.register(g);
    await clear(warm);

    const latenciesUs: number[] = [];
    const singleRates: number[] = [];
    const batchRates: number[] = [];
    const batchCallMs: number[] = [];
    for (let round = 0; round < p.rounds; round++) {
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

      const batched = pageRegistrations(base, pageSize, p.batch * p.calls, cookie);
      cookie += BigInt(batched.length);
      const b0 = process.hrtime.bigint();
      for (const g of chunks(batched, p.batch)) {
        const t0 = process.hrtime.bigint();
        await client.register(g);
        batchCallMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      batchRates.push(batched.length / (Number(process.hrtime.bigint() - b0) / 1e9));
      await expectHeld(batched.length, 'after batched registering');
      await clear(batched);
      process.stderr.write(
        `round ${round + 1}/${p.rounds}: ${Math.round(singleRates[round]!)} /s one per call, ${Math.round(batchRates[round]!)} /s batched\n`,
      );
    }
    const result = {
      driver: 'node',
      engine: reported,
      single_rates: singleRates,
      batch_rates: batchRates,
      single_p50_us: percentile(latenciesUs, 50),
      single_p99_us: percentile(latenciesUs, 99),
      batch_call_p50_ms: percentile(batchCallMs, 50),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await opened.close();
    memops.munmap(base, pages);
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`register-node: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
