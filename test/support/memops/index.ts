// Test-only memory operations on this process (test/support/memops, built by
// `npm run build:native`).  Addresses are bigints; sizes are in pages.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Memops {
  pageSize(): number;
  /** MAP_PRIVATE|MAP_ANONYMOUS, touched, MADV_NOHUGEPAGE. */
  mmapAnon(pages: number): bigint;
  /** MAP_FIXED private anonymous over `addr`, touched. */
  mmapFixed(addr: bigint, pages: number): bigint;
  /** MAP_SHARED|MAP_ANONYMOUS (shmem), touched. */
  mmapShared(pages: number): bigint;
  /** A shared mapping of a file: read-only (opened O_RDONLY) unless `writable`. */
  mmapFile(path: string, pages: number, writable?: boolean): bigint;
  munmap(addr: bigint, pages: number): void;
  madviseDontneed(addr: bigint, pages: number): void;
  /** madvise with an MADV_* number. */
  madvise(addr: bigint, pages: number, advice: number): void;
  /** mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of `pages` pages from `oldAddr` to `newAddr`. */
  mremapMove(oldAddr: bigint, pages: number, newAddr: bigint): bigint;
  /** mremap moving onto `newAddr` (MREMAP_MAYMOVE|MREMAP_FIXED) if given, else in place; sizes in bytes. */
  mremap(oldAddr: bigint, oldBytes: bigint, newBytes: bigint, newAddr?: bigint): bigint;
  /**
   * `pages` pages of "anonymous", "shared" or "file" memory (a new, unlinked
   * file in `dir`), MAP_FIXED at `at` if given, touched; read-only (and its
   * file opened O_RDONLY) unless `writable`.
   */
  map(kind: 'anonymous' | 'shared' | 'file', pages: number, at: bigint | undefined, dir: string, writable: boolean): bigint;
  /** sbrk: grows the heap by whole pages; returns the new pages. */
  brkGrow(pages: number): { start: bigint; end: bigint };
  /** sbrk: gives back the last `pages` pages of a brkGrow; returns them. */
  brkShrink(pages: number): { start: bigint; end: bigint };
  write(addr: bigint, byte: number): void;
  read(addr: bigint): number;
  /** fork(); the child only pauses (raw syscalls) until killed. */
  forkChildThatWaits(): number;
  /** SIGKILL and waitpid; returns the wait status. */
  killAndReap(pid: number): number;
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const memops: Memops = require(join(here, 'build', 'Release', 'memops.node')) as Memops;
