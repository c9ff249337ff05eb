// Fast-path driver for Node (bench/fastpath), the same on the host and in a
// guest: opens a client with OpenClient.open (this process is the target and
// spawns its own sidecar, $UMMUNOTIFYD), then times `checks` counter checks
// (changedSince on the mapped page) and `calls` GetInfo round trips per
// batch, `batches` times each. Prints one JSON line of batch means on stdout:
//   {"lang":"node","engine":"uffd","counter_ns":[...],"getinfo_us":[...],"changed":0}
// Run with `node --import <repo>/node_modules/tsx/dist/loader.mjs` (the tsx
// CLI does not work in the guest), as bin/ummunotifyd does.
// Usage: fastpath-node.ts --engine uffd|device --checks N --calls N --batches N

import { parseArgs } from 'node:util';
import { OpenClient } from '../../clients/node/src/open.ts';

function count(values: Record<string, string | boolean | undefined>, name: string): number {
  const v = values[name];
  if (typeof v !== 'string' || !/^[1-9]\d*$/.test(v)) throw new Error(`--${name}: expected a positive integer, got ${String(v)}`);
  return Number(v);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { engine: { type: 'string' }, checks: { type: 'string' }, calls: { type: 'string' }, batches: { type: 'string' } },
    strict: true,
  });
  const engine = values.engine;
  if (engine !== 'uffd' && engine !== 'device') throw new Error(`--engine: expected uffd or device, got ${String(engine)}`);
  const checks = count(values, 'checks');
  const calls = count(values, 'calls');
  const batches = count(values, 'batches');

  const opened = await OpenClient.open({ engine, daemonArgs: ['--log-level', 'warn'] });
  try {
    const reported = (await opened.client.info()).engine.toLowerCase().replace(/^engine_/, '');
    const counter = opened.counter;
    const seen = counter.value();
    let changed = 0;
    // Warm-up, untimed (JIT on both sides): the daemon's GetInfo takes thousands
    // of calls to settle (its CPU per call falls about 3x), hence 10 batches' worth.
    for (let i = 0; i < Math.min(checks, 100_000); i++) if (counter.changedSince(seen)) changed++;
    for (let i = 0; i < Math.min(calls * 10, 5000); i++) await opened.client.info();
    const counterNs: number[] = [];
    const getinfoUs: number[] = [];
    for (let b = 0; b < batches; b++) {
      let t0 = process.hrtime.bigint();
      for (let i = 0; i < checks; i++) if (counter.changedSince(seen)) changed++;
      let t1 = process.hrtime.bigint();
      counterNs.push(Number(t1 - t0) / checks);
      t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await opened.client.info();
      t1 = process.hrtime.bigint();
      getinfoUs.push(Number(t1 - t0) / calls / 1000);
    }
    process.stdout.write(JSON.stringify({ lang: 'node', engine: reported, counter_ns: counterNs, getinfo_us: getinfoUs, changed }) + '\n');
  } finally {
    await opened.close();
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`fastpath-node: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
