// The target's second thread in the no-deadlock test: invalidates watched
// memory (madvise, which keeps the range armed, and munmap + mmap, which the
// main thread re-arms with its Register calls) while the main thread sits in
// Register calls on the same range. Each watched invalidation blocks this
// thread until the daemon has read it.

import { workerData } from 'node:worker_threads';
import { memops } from './memops/index.ts';

const { addr, rounds } = workerData as { addr: bigint; rounds: number };
for (let i = 0; i < rounds; i++) {
  memops.madviseDontneed(addr, 2);
  memops.munmap(addr, 2);
  memops.mmapFixed(addr, 2);
}
