// A target process for the daemon tests: real memory operations (memops),
// real gRPC through clients/node, driven by its parent over IPC. Started by
// target-process.ts; never used outside tests.

import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { Counter } from '../../clients/node/src/counter.ts';
import { UmmunotifyError } from '../../clients/node/src/errors.ts';
import type { Subscription } from '../../clients/node/src/subscription.ts';
import { native } from '../../daemon/src/native.ts';
import { memops } from './memops/index.ts';
import type { TargetReply, TargetRequest } from './target-protocol.ts';

let client: UmmunotifyClient | undefined;
let counter: Counter | undefined;
let subscription: Subscription | undefined;
const PAGE = BigInt(memops.pageSize());

function connected(): UmmunotifyClient {
  if (client === undefined) throw new Error('target: connect first');
  return client;
}

async function mappedCounter(): Promise<Counter> {
  counter ??= await connected().counter();
  return counter;
}

/**
 * The cache's life on watched memory: munmap (an invalidation the daemon must
 * count before munmap returns) and map again, page after page of a region;
 * each round first registers the region's new mappings in one batch, as a
 * cache re-registering its evicted buffers would (one RPC per page would
 * measure gRPC, not the guarantee).
 */
async function counterLoop(addr: bigint, pages: number, cycles: number): Promise<{ stale: number; first: bigint; last: bigint }> {
  const c = await mappedCounter();
  const first = c.value();
  let stale = 0;
  for (let done = 0, round = 0; done < cycles; round++) {
    const regs = Array.from({ length: pages }, (_, i) => ({ cookie: BigInt(1_000_000 + round * pages + i), start: addr + BigInt(i) * PAGE, end: addr + BigInt(i + 1) * PAGE }));
    await connected().register(regs);
    for (let i = 0; i < pages && done < cycles; i++, done++) {
      const page = addr + BigInt(i) * PAGE;
      const before = c.value();
      memops.munmap(page, 1);
      if (c.value() === before) stale++;
      memops.mmapFixed(page, 1);
    }
  }
  return { stale, first, last: c.value() };
}

/** A second thread unmaps and remaps watched memory while this one registers, round after round. */
async function racingRegister(rounds: number): Promise<number> {
  const region = memops.mmapAnon(2);
  await connected().register({ cookie: 1n, start: region, end: region + 2n * PAGE });
  const worker = new Worker(new URL('./unmapper-worker.mjs', import.meta.url), { workerData: { addr: region, rounds } });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`unmapper exited with ${code}`))));
  });
  let registered = 0;
  let finished = false;
  void done.finally(() => (finished = true));
  for (let i = 0; !finished; i++) {
    // Re-arms the range the worker keeps unmapping, racing with its munmap;
    // caught between munmap and mmap, the range is briefly unwatchable.
    try {
      await connected().register({ cookie: BigInt(10 + i), start: region, end: region + 2n * PAGE });
      registered++;
    } catch (e) {
      if (!(e instanceof UmmunotifyError) || e.status !== 'FAILED_PRECONDITION') throw e;
    }
  }
  await done;
  return registered;
}

async function handle(req: TargetRequest): Promise<unknown> {
  switch (req.op) {
    case 'connect':
      client = await UmmunotifyClient.connect(req.socket, req.timeoutMs);
      return process.pid;
    case 'attach':
      return connected().attachSelf();
    case 'attachFd':
      return connected().attachFd(req.fd);
    case 'openFile':
      return openSync(req.path, 'r');
    case 'register':
      return connected().register(req.regs);
    case 'unregister':
      return connected().unregister(req.cookies);
    case 'readEvents':
      return connected().readEvents();
    case 'info':
      return connected().info();
    case 'subscribe':
      subscription = await connected().subscribe();
      return undefined;
    case 'nextReport':
      if (subscription === undefined) throw new Error('target: subscribe first');
      return subscription.next(req.timeoutMs);
    case 'receiveFd': {
      const fd = native.receiveFd(req.path);
      native.close(fd);
      return true;
    }
    case 'counter':
      return (await mappedCounter()).value();
    case 'mmap':
      return memops.mmapAnon(req.pages);
    case 'mmapFixed':
      return memops.mmapFixed(req.addr, req.pages);
    case 'mmapShared':
      return memops.mmapShared(req.pages);
    case 'mmapFile':
      return memops.mmapFile(req.path, req.pages);
    case 'map':
      return memops.map(req.kind, req.pages, req.at, tmpdir(), req.writable);
    case 'munmap':
      return memops.munmap(req.addr, req.pages);
    case 'madvise':
      return memops.madviseDontneed(req.addr, req.pages);
    case 'mremap':
      return memops.mremapMove(req.addr, req.pages, req.to);
    case 'brkGrow':
      return memops.brkGrow(req.pages);
    case 'brkShrink':
      return memops.brkShrink(req.pages);
    case 'write':
      return memops.write(req.addr, req.value);
    case 'forkThenWrite': {
      const child = memops.forkChildThatWaits();
      memops.write(req.addr, 0x5a);
      memops.killAndReap(child);
      return child;
    }
    case 'counterLoop':
      return counterLoop(req.addr, req.pages, req.cycles);
    case 'madviseLoop':
      for (let r = 0; r < req.rounds; r++) for (let i = 0; i < req.pages; i++) memops.madviseDontneed(req.addr + BigInt(i) * PAGE, 1);
      return req.pages * req.rounds;
    case 'racingRegister':
      return racingRegister(req.rounds);
    case 'exit':
      process.exit(req.code);
  }
}

process.on('message', (message: { id: number; req: TargetRequest }) => {
  void handle(message.req).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies TargetReply),
    (e: unknown) => {
      const error = e instanceof UmmunotifyError ? { message: e.message, status: e.status, ...(e.errnoName ? { errnoName: e.errnoName } : {}) } : { message: (e as Error).message };
      process.send?.({ id: message.id, ok: false, error } satisfies TargetReply);
    },
  );
});
process.send?.({ id: 0, ok: true, result: process.pid } satisfies TargetReply);
