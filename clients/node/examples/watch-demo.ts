// The main job: a target process with its own ummunotifyd sidecar on the
// uffd engine. It keeps registering buffers and changing its address space
// the ways an application does behind an MPI library's back, and prints what
// the daemon reports. Watch the same events live from a second terminal:
//
//   npm run ctl -- --pid <pid printed below> stream
//
// Usage: tsx clients/node/examples/watch-demo.ts [--rounds N] [--interval-ms N]
// (default: until Ctrl-C, one change a second).

import { UmmunotifyClient } from '../src/client.ts';
import { describe } from '../src/reports.ts';
import { spawnDaemon } from '../src/spawn.ts';
// Node has no mmap(2); the tests' small native helper does the real memory operations.
import { memops } from '../../../test/support/memops/index.ts';

const PAGE = BigInt(memops.pageSize());

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}: expected a whole number`);
  return value;
}

const rounds = option('--rounds', 0);
const intervalMs = option('--interval-ms', 1000);

/** One change of the address space, in turn: what each does to a 4-page buffer. */
const CHANGES: ReadonlyArray<readonly [string, (buf: bigint) => void]> = [
  ['munmap(page 1)', (buf) => memops.munmap(buf + PAGE, 1)],
  ['madvise(MADV_DONTNEED, pages 0-1)', (buf) => memops.madviseDontneed(buf, 2)],
  ['mmap(MAP_FIXED) over page 3', (buf) => void memops.mmapFixed(buf + 3n * PAGE, 1)],
  ['mremap(pages 0-3) elsewhere', (buf) => void memops.mremapMove(buf, 4, memops.mmapAnon(4))],
];

const daemon = await spawnDaemon(process.pid, ['--log-level', 'warn']);
const client = await UmmunotifyClient.connect(daemon.socket);
const engine = await client.attachSelf();
const info = await client.info();
const counter = await client.counter();
console.log(`target pid ${process.pid}, engine ${engine}, features ${info.features.join(', ')}`);
console.log(`daemon socket ${daemon.socket}`);
console.log(`watch live from another terminal:  npm run ctl -- --pid ${process.pid} stream`);

let seen = 0n;
let stopping = false;
process.once('SIGINT', () => (stopping = true));
for (let round = 1; !stopping && (rounds === 0 || round <= rounds); round++) {
  const buf = memops.mmapAnon(4);
  const cookie = BigInt(round);
  await client.register({ cookie, start: buf, end: buf + 4n * PAGE });
  const [what, change] = CHANGES[(round - 1) % CHANGES.length] as (typeof CHANGES)[number];
  change(buf);
  console.log(`round ${round}: registered cookie ${cookie} at 0x${buf.toString(16)}, then ${what}`);
  // The fast path: one load says whether there is anything to read.
  if (counter.changedSince(seen)) {
    for (const report of await client.readEvents()) {
      console.log(`  ${describe(report)}`);
      if (report.kind === 'last') seen = report.counter;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

counter.close();
client.close();
await daemon.stop();
