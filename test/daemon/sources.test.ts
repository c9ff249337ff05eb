// Every way a target can change the pages behind a watched range reaches the
// daemon's clients as the kernel ABI would report it: the registration's
// cookie, HINT with exactly the invalidated bytes, then LAST with the counter.

import { describe, expect, it } from 'vitest';
import { eachWithSidecar } from '../support/target-process.ts';

const PAGE = 4096n;
const fixture = eachWithSidecar();

async function watched(pages: number, cookie = 1n): Promise<bigint> {
  const p = await fixture.sidecar.target.do<bigint>({ op: 'mmap', pages });
  await fixture.sidecar.target.do({ op: 'register', regs: [{ cookie, start: p, end: p + BigInt(pages) * PAGE }] });
  return p;
}

describe('invalidation sources on the uffd engine', () => {
  it('munmap of the middle page of a 3-page registration: one report, HINT, exactly that page, then LAST 1', async () => {
    const p = await watched(3);
    await fixture.sidecar.target.do({ op: 'munmap', addr: p + PAGE, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p + PAGE, end: p + 2n * PAGE, sources: ['unmap'] },
      { kind: 'last', counter: 1n },
    ]);
    expect(await fixture.observer.readEvents()).toEqual([]);
  });

  it('madvise(MADV_DONTNEED)', async () => {
    const p = await watched(2);
    await fixture.sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p, end: p + PAGE, sources: ['madvise'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  // The kernel moves the pages, then unmaps the old range: two invalidations
  // of the old range (the device engine sees the same), so no HINT.
  it('mremap moving the range away invalidates the old range, twice', async () => {
    const p = await watched(2);
    const dst = await fixture.sidecar.target.do<bigint>({ op: 'mmap', pages: 2 });
    await fixture.sidecar.target.do({ op: 'mremap', addr: p, pages: 2, to: dst });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: false, start: p, end: p + 2n * PAGE, sources: ['mremap'] },
      { kind: 'last', counter: 2n },
    ]);
  });

  it('brk shrinking over a watched heap page', async () => {
    const heap = await fixture.sidecar.target.do<{ start: bigint; end: bigint }>({ op: 'brkGrow', pages: 3 });
    await fixture.sidecar.target.do({ op: 'register', regs: [{ cookie: 1n, start: heap.start, end: heap.end }] });
    const gone = await fixture.sidecar.target.do<{ start: bigint; end: bigint }>({ op: 'brkShrink', pages: 1 });
    expect(gone).toEqual({ start: heap.end - PAGE, end: heap.end });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: gone.start, end: gone.end, sources: ['unmap'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it('mmap(MAP_FIXED) over a watched range', async () => {
    const p = await watched(2);
    await fixture.sidecar.target.do({ op: 'mmapFixed', addr: p, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p, end: p + PAGE, sources: ['unmap'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it('fork, then a write: private writable registrations are invalidated (copy-on-write)', async () => {
    const p = await watched(2);
    await fixture.sidecar.target.do({ op: 'forkThenWrite', addr: p });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p, end: p + 2n * PAGE, sources: ['fork'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it('fork with only shared memory watched: the counter moves though nothing is invalidated, and ReadEvents gives Last alone', async () => {
    const s = await fixture.sidecar.target.do<bigint>({ op: 'mmapShared', pages: 1 });
    await fixture.sidecar.target.do({ op: 'register', regs: [{ cookie: 1n, start: s, end: s + PAGE }] });
    await fixture.sidecar.target.do({ op: 'forkThenWrite', addr: s });
    // The engine moves the counter before it can read which event it got.
    expect((await fixture.observer.info()).counter).toBe('1');
    expect(await fixture.observer.readEvents()).toEqual([{ kind: 'last', counter: 1n }]);
  });
});
