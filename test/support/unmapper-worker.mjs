// The target's second thread in the no-deadlock test: invalidates watched
// memory (madvise, which keeps the range armed, and munmap + mmap, which the
// main thread re-arms with its Register calls) while the main thread sits in
// Register calls on the same range. Each watched invalidation blocks this
// thread until the daemon has read it.
//
// Plain JavaScript: Node 20 does not run tsx's loader in worker threads.

import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';

const memops = createRequire(import.meta.url)('./memops/build/Release/memops.node');
const { addr, rounds } = workerData;
for (let i = 0; i < rounds; i++) {
  memops.madviseDontneed(addr, 2);
  memops.munmap(addr, 2);
  memops.mmapFixed(addr, 2);
}
