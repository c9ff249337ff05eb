// The uffd engine, for real: this process is its own target.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { COUNT_SLOTS, CountSlot, NativeSource } from '../src/native.ts';
import { PAGE, catchError, memops, native, openFds, openHarness, uffdWatched, type Harness } from './test/helpers.ts';

let h: Harness;
beforeEach(() => {
  h = openHarness();
});
afterEach(() => {
  h.close();
});

describe('engine info', () => {
  it('negotiates the events and says what it can watch', () => {
    const info = h.engine.info();
    expect(info.features).toEqual(expect.arrayContaining(['event_unmap', 'event_remove', 'event_remap']));
    // Tests run as root: CAP_SYS_PTRACE grants the fork event.
    expect(info.features).toContain('event_fork');
    expect(info.sources).toEqual([NativeSource.Unmap, NativeSource.Madvise, NativeSource.Mremap, NativeSource.Fork]);
    expect(info.watchableMappings).toContain(1);
    expect(info.blindSpots.join('\n')).toMatch(/migration/);
    expect(info).toMatchObject({ counter: 0n, registrations: 0, maxRegistrations: 100_000, pendingReports: 0, subscribers: 0, targetGone: false });
    expect(h.engine.readEvents(0)).toEqual([]);
  });
});

describe('reports', () => {
  it('munmap: one INVAL with HINT clipped to the registration, then LAST with the counter', async () => {
    const a = memops.mmapAnon(3);
    h.engine.register([{ cookie: 7n, start: a + PAGE + 100n, end: a + 2n * PAGE + 200n }]);
    expect(uffdWatched(a + PAGE)).toBe(true);
    memops.munmap(a + PAGE, 1);
    const { invals, last } = await h.drain();
    expect(invals).toEqual([
      { type: 'inval', cookie: 7n, hint: true, start: a + PAGE + 100n, end: a + 2n * PAGE, sources: [NativeSource.Unmap] },
    ]);
    expect(last).toBe(1n);
    expect(h.engine.readEvents(0)).toEqual([]);
    memops.munmap(a, 3);
  });

  it('madvise(MADV_DONTNEED) is Madvise, and the pages stay watched', async () => {
    const a = memops.mmapAnon(2);
    h.engine.register([{ cookie: 1n, start: a, end: a + 2n * PAGE }]);
    memops.madviseDontneed(a + PAGE, 1);
    const { invals } = await h.drain();
    expect(invals).toEqual([{ type: 'inval', cookie: 1n, hint: true, start: a + PAGE, end: a + 2n * PAGE, sources: [NativeSource.Madvise] }]);
    expect(uffdWatched(a)).toBe(true);
    memops.madviseDontneed(a, 1);
    expect((await h.drain()).invals).toHaveLength(1);
    memops.munmap(a, 2);
  });

  it('mremap: the old range is invalidated (REMAP + UNMAP: no HINT, as the device), the moved pages stop being watched', async () => {
    const a = memops.mmapAnon(2);
    const dest = memops.mmapAnon(2);
    h.engine.register([{ cookie: 3n, start: a + 5n, end: a + PAGE + 5n }]);
    expect(memops.mremapMove(a, 2, dest)).toBe(dest);
    const { invals } = await h.drain();
    expect(invals).toEqual([{ type: 'inval', cookie: 3n, hint: false, start: a + 5n, end: a + PAGE + 5n, sources: [NativeSource.Mremap] }]);
    // The kernel moves the registration along; the next call drops it there.
    h.engine.unregister([3n]);
    expect(uffdWatched(dest)).toBe(false);
    memops.munmap(dest, 2);
  });

  it('MAP_FIXED over a watched page is Unmap', async () => {
    const a = memops.mmapAnon(1);
    h.engine.register([{ cookie: 4n, start: a, end: a + 1n }]);
    memops.mmapFixed(a, 1);
    expect((await h.drain()).invals).toEqual([{ type: 'inval', cookie: 4n, hint: true, start: a, end: a + 1n, sources: [NativeSource.Unmap] }]);
    memops.munmap(a, 1);
  });

  it('brk shrinking is Unmap', async () => {
    const grown = memops.brkGrow(2);
    h.engine.register([{ cookie: 5n, start: grown.start, end: grown.end }]);
    const gone = memops.brkShrink(1);
    expect(gone).toEqual({ start: grown.start + PAGE, end: grown.end });
    expect((await h.drain()).invals).toEqual([
      { type: 'inval', cookie: 5n, hint: true, start: gone.start, end: gone.end, sources: [NativeSource.Unmap] },
    ]);
    h.engine.unregister([5n]);
    memops.brkShrink(1);
  });

  it('fork: registrations on private writable memory are invalidated, shared ones are not', async () => {
    const a = memops.mmapAnon(1);
    const s = memops.mmapShared(1);
    h.engine.register([
      { cookie: 10n, start: a, end: a + PAGE },
      { cookie: 11n, start: s, end: s + PAGE },
    ]);
    const child = memops.forkChildThatWaits();
    try {
      memops.write(a, 42); // the copy-on-write break the report stands for
      const { invals } = await h.drain();
      expect(invals).toEqual([{ type: 'inval', cookie: 10n, hint: true, start: a, end: a + PAGE, sources: [NativeSource.Fork] }]);
      expect(memops.read(a)).toBe(42);
    } finally {
      memops.killAndReap(child);
    }
    memops.munmap(a, 1);
    memops.munmap(s, 1);
  });

  it('a LAST is owed whenever the counter moved, even when nothing matched', async () => {
    const a = memops.mmapAnon(2);
    h.engine.register([{ cookie: 1n, start: a, end: a + PAGE }]);
    h.engine.unregister([1n]);
    h.engine.register([{ cookie: 2n, start: a + PAGE, end: a + 2n * PAGE }]);
    // The first page is no longer registered in the kernel: no event at all.
    memops.madviseDontneed(a, 1);
    expect(h.counter.load()).toBe(0n);
    memops.munmap(a, 2); // one event: the range covers the watched page
    const before = h.counter.load();
    expect(before).toBe(1n);
    const { invals, last } = await h.drain();
    expect(invals.map((r) => r.cookie)).toEqual([2n]);
    expect(last).toBe(before);
  });

  it('readEvents(max) returns LAST only when there is room', async () => {
    const a = memops.mmapAnon(2);
    h.engine.register([
      { cookie: 1n, start: a, end: a + PAGE },
      { cookie: 2n, start: a + PAGE, end: a + 2n * PAGE },
    ]);
    memops.madviseDontneed(a, 1);
    memops.madviseDontneed(a + PAGE, 1);
    const deadline = Date.now() + 5000;
    while (h.engine.info().pendingReports < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    const first = h.engine.readEvents(1);
    expect(first).toEqual([expect.objectContaining({ type: 'inval', cookie: 1n })]);
    const second = h.engine.readEvents(1);
    expect(second).toEqual([expect.objectContaining({ type: 'inval', cookie: 2n })]);
    expect(h.engine.readEvents(1)).toEqual([{ type: 'last', counter: h.counter.load() }]);
    expect(h.engine.readEvents(1)).toEqual([]);
    memops.munmap(a, 2);
  });
});

describe('matching', () => {
  it('coalesces: two invalidations make one report without HINT over the whole registration, sources in first-seen order', async () => {
    const a = memops.mmapAnon(3);
    h.engine.register([{ cookie: 9n, start: a + 1n, end: a + 3n * PAGE - 1n }]);
    memops.madviseDontneed(a, 1);
    memops.munmap(a + 2n * PAGE, 1);
    memops.madviseDontneed(a + PAGE, 1);
    const { invals } = await h.drain();
    expect(invals).toEqual([
      { type: 'inval', cookie: 9n, hint: false, start: a + 1n, end: a + 3n * PAGE - 1n, sources: [NativeSource.Madvise, NativeSource.Unmap] },
    ]);
    expect(h.engine.info().pendingReports).toBe(0);
    memops.munmap(a, 3);
  });

  it('reports every overlapping registration, each clipped to itself', async () => {
    const a = memops.mmapAnon(4);
    h.engine.register([
      { cookie: 1n, start: a, end: a + 4n * PAGE },
      { cookie: 2n, start: a + PAGE, end: a + 3n * PAGE },
      { cookie: 3n, start: a + PAGE, end: a + 3n * PAGE }, // identical range, another cookie
      { cookie: 4n, start: a + 3n * PAGE, end: a + 4n * PAGE },
    ]);
    memops.madviseDontneed(a + 2n * PAGE, 2);
    const { invals } = await h.drain();
    const byCookie = new Map(invals.map((r) => [r.cookie, r]));
    expect([...byCookie.keys()].sort()).toEqual([1n, 2n, 3n, 4n]);
    expect(byCookie.get(1n)).toMatchObject({ hint: true, start: a + 2n * PAGE, end: a + 4n * PAGE });
    expect(byCookie.get(2n)).toMatchObject({ hint: true, start: a + 2n * PAGE, end: a + 3n * PAGE });
    expect(byCookie.get(3n)).toMatchObject({ hint: true, start: a + 2n * PAGE, end: a + 3n * PAGE });
    expect(byCookie.get(4n)).toMatchObject({ hint: true, start: a + 3n * PAGE, end: a + 4n * PAGE });
    memops.munmap(a, 4);
  });

  it('a byte range straddling a page boundary is hit by either page and nothing else', async () => {
    const a = memops.mmapAnon(3);
    h.engine.register([
      { cookie: 1n, start: a + PAGE - 10n, end: a + PAGE + 10n },
      { cookie: 2n, start: a + 2n * PAGE, end: a + 2n * PAGE + 1n },
      { cookie: 3n, start: a, end: a + PAGE - 10n },
    ]);
    memops.madviseDontneed(a, 1);
    let { invals } = await h.drain();
    expect(invals.map((r) => [r.cookie, r.hint, r.start, r.end])).toEqual([
      [3n, true, a, a + PAGE - 10n],
      [1n, true, a + PAGE - 10n, a + PAGE],
    ]);
    memops.madviseDontneed(a + PAGE, 1);
    ({ invals } = await h.drain());
    expect(invals.map((r) => [r.cookie, r.hint, r.start, r.end])).toEqual([[1n, true, a + PAGE, a + PAGE + 10n]]);
    memops.munmap(a, 3);
  });

  it('keeps the kernel-side registration the exact union, with reference counts', () => {
    const a = memops.mmapAnon(3);
    h.engine.register([
      { cookie: 1n, start: a + 10n, end: a + PAGE + 10n },
      { cookie: 2n, start: a + PAGE + 20n, end: a + 2n * PAGE },
    ]);
    expect([uffdWatched(a), uffdWatched(a + PAGE), uffdWatched(a + 2n * PAGE)]).toEqual([true, true, false]);
    h.engine.unregister([1n]);
    expect([uffdWatched(a), uffdWatched(a + PAGE), uffdWatched(a + 2n * PAGE)]).toEqual([false, true, false]);
    h.engine.unregister([2n]);
    expect([uffdWatched(a), uffdWatched(a + PAGE)]).toEqual([false, false]);
    memops.munmap(a, 3);
  });

  it('registers pages again after an unmap took them away', async () => {
    const a = memops.mmapAnon(1);
    h.engine.register([{ cookie: 1n, start: a, end: a + PAGE }]);
    memops.mmapFixed(a, 1);
    await h.drain();
    expect(uffdWatched(a)).toBe(false);
    h.engine.register([{ cookie: 2n, start: a, end: a + 8n }]);
    expect(uffdWatched(a)).toBe(true);
    memops.madviseDontneed(a, 1);
    expect((await h.drain()).invals.map((r) => r.cookie)).toEqual([1n, 2n]);
    memops.munmap(a, 1);
  });
});

describe('the counter', () => {
  it('is bumped before munmap returns (100,000 cycles)', () => {
    const a = memops.mmapAnon(1);
    let previous = h.counter.load();
    for (let i = 0; i < 100_000; i++) {
      const cookie = BigInt(i);
      h.engine.register([{ cookie, start: a, end: a + 64n }]);
      memops.munmap(a, 1);
      const now = h.counter.load();
      if (now <= previous) throw new Error(`cycle ${i}: counter ${now} did not move past ${previous} before munmap returned`);
      previous = now;
      memops.mmapFixed(a, 1);
      h.engine.unregister([cookie]);
    }
    expect(previous).toBeGreaterThanOrEqual(100_000n);
    memops.munmap(a, 1);
  });

  it('moves on every munmap when the page is registered again at once, its older registrations kept (2,000 cycles)', () => {
    // munmap returns once the UNMAP is read, possibly before the event thread
    // has noted the pages unregistered; a Register in that window must still
    // register them in the kernel (it once took them as registered: most
    // cycles went unseen).
    const a = memops.mmapAnon(1);
    let stale = 0;
    for (let i = 0; i < 2000; i++) {
      h.engine.register([{ cookie: BigInt(i), start: a, end: a + PAGE }]);
      const before = h.counter.load();
      memops.munmap(a, 1);
      if (h.counter.load() === before) stale++;
      memops.mmapFixed(a, 1);
    }
    expect(stale).toBe(0);
    memops.munmap(a, 1);
  });
});

describe('subscribers', () => {
  it('coalesce independently; unregister purges every queue', async () => {
    const a = memops.mmapAnon(2);
    h.engine.register([
      { cookie: 1n, start: a, end: a + PAGE },
      { cookie: 2n, start: a + PAGE, end: a + 2n * PAGE },
    ]);
    const s1 = h.engine.subscribe();
    const s2 = h.engine.subscribe();
    expect(h.engine.info().subscribers).toBe(2);
    memops.madviseDontneed(a, 1);
    await h.drain();
    expect(s1.take(0)).toEqual({ reports: [{ type: 'inval', cookie: 1n, hint: true, start: a, end: a + PAGE, sources: [NativeSource.Madvise] }], epoch: 0n });
    memops.madviseDontneed(a, 1);
    memops.madviseDontneed(a + PAGE, 1);
    await h.drain();
    expect(s1.pending()).toBe(2);
    expect(s2.pending()).toBe(2); // s2 never read: cookie 1 coalesced, not queued twice
    expect(s2.take(1).reports).toEqual([{ type: 'inval', cookie: 1n, hint: false, start: a, end: a + PAGE, sources: [NativeSource.Madvise] }]);
    memops.madviseDontneed(a + PAGE, 1);
    await h.drain();
    // The epoch moves with each Unregister, and batches taken after carry it.
    expect(h.engine.unregister([2n])).toBe(1n);
    expect(s1.pending()).toBe(1);
    expect(s2.pending()).toBe(0);
    const taken = s1.take(0);
    expect(taken.reports.map((r) => r.type === 'inval' && r.cookie)).toEqual([1n]);
    expect(taken.epoch).toBe(1n);
    s1.close();
    s2.close();
    expect(h.engine.info().subscribers).toBe(0);
    memops.munmap(a, 2);
  });

  it('after unregister returns, no report for the cookie is read', async () => {
    const a = memops.mmapAnon(1);
    h.engine.register([{ cookie: 1n, start: a, end: a + PAGE }]);
    memops.madviseDontneed(a, 1);
    while (h.engine.info().pendingReports === 0) await new Promise((r) => setTimeout(r, 1));
    h.engine.unregister([1n]);
    const { invals } = await h.drain();
    expect(invals).toEqual([]);
    memops.munmap(a, 1);
  });

  it('signals activity on the event loop', async () => {
    const a = memops.mmapAnon(1);
    h.engine.register([{ cookie: 1n, start: a, end: a + PAGE }]);
    const before = h.activity.count;
    memops.madviseDontneed(a, 1);
    const deadline = Date.now() + 5000;
    while (h.activity.count === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    expect(h.activity.count).toBeGreaterThan(before);
    memops.munmap(a, 1);
  });
});

describe('the packed forms (what the daemon uses)', () => {
  it('counts() fills the same counts info() gives', async () => {
    const a = memops.mmapAnon(2);
    h.engine.registerPacked(new BigUint64Array([1n, a, a + PAGE, 2n, a + PAGE, a + 2n * PAGE]));
    memops.madviseDontneed(a, 1);
    const counts = new BigUint64Array(COUNT_SLOTS);
    h.engine.counts(counts);
    const info = h.engine.info();
    expect(counts[CountSlot.Counter]).toBe(info.counter);
    expect(counts[CountSlot.Counter]).toBe(1n);
    expect([counts[CountSlot.Registrations], counts[CountSlot.MaxRegistrations], counts[CountSlot.PendingReports], counts[CountSlot.Subscribers], counts[CountSlot.TargetGone]]).toEqual([
      BigInt(info.registrations),
      BigInt(info.maxRegistrations),
      BigInt(info.pendingReports),
      BigInt(info.subscribers),
      0n,
    ]);
    expect(info.pendingReports).toBe(1);
    h.engine.unregisterPacked(new BigUint64Array([2n, 1n]));
    h.engine.counts(counts);
    expect(counts[CountSlot.Registrations]).toBe(0n);
    memops.munmap(a, 2);
  });

  it('registerPacked and unregisterPacked refuse what register and unregister refuse, the same way', () => {
    const a = memops.mmapAnon(1);
    h.engine.registerPacked(new BigUint64Array([1n, a, a + PAGE]));
    const packed = catchError(() => h.engine.registerPacked(new BigUint64Array([2n, a, a + PAGE, 1n, a, a + PAGE])));
    const objects = catchError(() => h.engine.register([{ cookie: 2n, start: a, end: a + PAGE }, { cookie: 1n, start: a, end: a + PAGE }]));
    expect(packed).toEqual(objects);
    expect(packed).toMatchObject({ kind: 'exists', code: 'EINVAL' });
    expect(catchError(() => h.engine.unregisterPacked(new BigUint64Array([1n, 9n])))).toEqual(catchError(() => h.engine.unregister([1n, 9n])));
    expect(h.engine.info().registrations).toBe(1);
  });

  it('refuses anything but a BigUint64Array of whole triples', () => {
    const bad = (fn: () => unknown) => catchError(fn).kind;
    expect(bad(() => h.engine.registerPacked(new BigUint64Array(4)))).toBe('invalid');
    expect(bad(() => h.engine.registerPacked(new BigInt64Array(3) as unknown as BigUint64Array))).toBe('invalid');
    expect(bad(() => h.engine.unregisterPacked([1n] as unknown as BigUint64Array))).toBe('invalid');
    expect(bad(() => h.engine.counts(new BigUint64Array(COUNT_SLOTS - 1)))).toBe('invalid');
    expect(h.engine.info().registrations).toBe(0);
  });
});

describe('register is all or nothing', () => {
  function expectUnchanged(a: bigint, fn: () => void, kind: string, code: string) {
    const before = h.engine.info().registrations;
    const err = catchError(fn);
    expect({ kind: err.kind, code: err.code }).toEqual({ kind, code });
    expect(typeof err.errno).toBe('number');
    expect(err.message.length).toBeGreaterThan(10);
    expect(h.engine.info().registrations).toBe(before);
    expect(uffdWatched(a)).toBe(false);
  }

  it('gives the right kind for every bad input and changes nothing', () => {
    const small = openHarness({ maxRegistrations: 2 });
    try {
      const a = memops.mmapAnon(1);
      const ok = { cookie: 100n, start: a, end: a + PAGE };
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 2n, start: a + 10n, end: a + 10n }]), 'invalid', 'EINVAL');
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 2n, start: a + 10n, end: a + 5n }]), 'invalid', 'EINVAL');
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 2n, start: 0x7ffffffff000n - PAGE, end: 0x1000000000000000n }]), 'invalid', 'EINVAL');
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 100n, start: a, end: a + 1n }]), 'invalid', 'EINVAL');
      const other = memops.mmapAnon(1);
      h.engine.register([{ cookie: 50n, start: other, end: other + 1n }]);
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 50n, start: a, end: a + 1n }]), 'exists', 'EINVAL');
      const third = memops.mmapAnon(1); // one uffd per page: not `other`, which h watches
      small.engine.register([{ cookie: 1n, start: third, end: third + 1n }]);
      const smallBefore = small.engine.info().registrations;
      const err = catchError(() =>
        small.engine.register([
          { cookie: 2n, start: a, end: a + 1n },
          { cookie: 3n, start: a, end: a + 1n },
        ]),
      );
      expect({ kind: err.kind, code: err.code }).toEqual({ kind: 'exhausted', code: 'ENOSPC' });
      expect(small.engine.info().registrations).toBe(smallBefore);
      expect(uffdWatched(a)).toBe(false);
      // A failing UFFDIO_REGISTER late in the batch rolls back the earlier ones.
      const hole = memops.mmapAnon(1);
      memops.munmap(hole, 1);
      expectUnchanged(a, () => h.engine.register([ok, { cookie: 2n, start: hole, end: hole + 1n }]), 'precondition', 'EINVAL');
      h.engine.register([ok]);
      expect(uffdWatched(a)).toBe(true);
      memops.munmap(a, 1);
      memops.munmap(other, 1);
      memops.munmap(third, 1);
    } finally {
      small.close();
    }
  });

  it('unmapped memory is a precondition failure naming the range', () => {
    const hole = memops.mmapAnon(1);
    memops.munmap(hole, 1);
    const err = catchError(() => h.engine.register([{ cookie: 1n, start: hole, end: hole + 1n }]));
    expect(err.kind).toBe('precondition');
    expect(err.message).toContain(hole.toString(16));
    expect(err.message).toMatch(/not mapped/);
    expect(h.engine.info().registrations).toBe(0);
  });

  it('an unwatchable (read-only shared) file mapping is a precondition failure', async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/ummu-');
    try {
      writeFileSync(`${dir}/f`, Buffer.alloc(Number(PAGE)));
      const f = memops.mmapFile(`${dir}/f`, 1);
      const err = catchError(() => h.engine.register([{ cookie: 1n, start: f, end: f + PAGE }]));
      expect(err.kind).toBe('precondition');
      expect(err.code).toBe('EPERM');
      expect(err.message).toContain(f.toString(16));
      expect(h.engine.info().registrations).toBe(0);
      memops.munmap(f, 1);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('watches what info() says it can: shmem and writable file mappings', async () => {
    const info = h.engine.info();
    expect(info.watchableMappings).toEqual(expect.arrayContaining([1, 2]));
    const s = memops.mmapShared(1);
    h.engine.register([{ cookie: 1n, start: s, end: s + PAGE }]);
    memops.madviseDontneed(s, 1);
    expect((await h.drain()).invals).toEqual([{ type: 'inval', cookie: 1n, hint: true, start: s, end: s + PAGE, sources: [NativeSource.Madvise] }]);
    h.engine.unregister([1n]);
    memops.munmap(s, 1);
    if (info.watchableMappings.includes(4)) {
      const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
      const dir = mkdtempSync('/tmp/ummu-');
      try {
        writeFileSync(`${dir}/f`, Buffer.alloc(Number(PAGE)));
        const f = memops.mmapFile(`${dir}/f`, 1, true);
        h.engine.register([{ cookie: 2n, start: f, end: f + 100n }]);
        memops.munmap(f, 1);
        expect((await h.drain()).invals).toEqual([{ type: 'inval', cookie: 2n, hint: true, start: f, end: f + 100n, sources: [NativeSource.Unmap] }]);
      } finally {
        rmSync(dir, { recursive: true });
      }
    }
  });

  it('unregister: unknown cookie is not_found, and nothing changes', () => {
    const a = memops.mmapAnon(1);
    h.engine.register([{ cookie: 1n, start: a, end: a + 1n }]);
    const err = catchError(() => h.engine.unregister([1n, 2n]));
    expect(err.kind).toBe('not_found');
    expect(h.engine.info().registrations).toBe(1);
    expect(uffdWatched(a)).toBe(true);
    memops.munmap(a, 1);
  });
});

describe('what registering does to the target (documented in docs/engines.md)', () => {
  it('registering part of a mapping splits its VMA: mremap of the whole mapping then fails with EFAULT, and works again once unregistered', () => {
    // Four pages with a free one after them, so that they can grow in place.
    const a = memops.mmapAnon(5);
    memops.munmap(a + 4n * PAGE, 1);
    const grow = () => {
      try {
        const at = memops.mremap(a, 4n * PAGE, 5n * PAGE);
        memops.mremap(a, 5n * PAGE, 4n * PAGE);
        return at;
      } catch (e) {
        return (e as { errno?: number }).errno;
      }
    };
    expect(grow()).toBe(a); // the control: the mapping may grow in place
    h.engine.register([{ cookie: 1n, start: a + PAGE, end: a + 2n * PAGE }]);
    expect(grow()).toBe(14); // EFAULT: [a, a + 4p) is no longer one VMA
    h.engine.unregister([1n]);
    expect(grow()).toBe(a);
    memops.munmap(a, 4);
  });
});

describe('lifecycle', () => {
  it('close() leaves no fds behind and is idempotent', () => {
    const before = openFds();
    const other = openHarness();
    const a = memops.mmapAnon(1);
    other.engine.register([{ cookie: 1n, start: a, end: a + 1n }]);
    const sub = other.engine.subscribe();
    other.close();
    other.engine.close();
    sub.close();
    expect(openFds()).toEqual(before);
    expect(uffdWatched(a)).toBe(false);
    expect(catchError(() => other.engine.register([{ cookie: 2n, start: a, end: a + 1n }])).kind).toBe('precondition');
    memops.munmap(a, 1);
  });

  it('reports target exit (another process as the target)', async () => {
    const { spawn } = await import('node:child_process');
    const addon = fileURLToPath(new URL('./build/Release/ummunotify.node', import.meta.url));
    const child = spawn(process.execPath, ['-e', `const n = require(${JSON.stringify(addon)}); console.log(n.createUffd()); setInterval(() => {}, 1000);`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const fd = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('error', reject);
    });
    const pidfd = native.pidfdOpen(child.pid!);
    let woke = 0;
    const engine = native.createUffdEngine({
      uffd: native.pidfdGetfd(pidfd, fd),
      pidfd,
      pid: child.pid!,
      maxRegistrations: 10,
      busyPollMicros: 0,
      onActivity: () => woke++,
    });
    expect(engine.info().targetGone).toBe(false);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while ((!engine.info().targetGone || woke === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(engine.info().targetGone).toBe(true);
    expect(woke).toBeGreaterThan(0);
    expect(catchError(() => engine.register([{ cookie: 1n, start: 0x10000n, end: 0x20000n }])).kind).toBe('precondition');
    engine.close();
    native.close(pidfd);
  });

  it('busy-poll mode delivers the same reports', async () => {
    const fast = openHarness({ busyPollMicros: 200 });
    try {
      const a = memops.mmapAnon(1);
      fast.engine.register([{ cookie: 1n, start: a, end: a + PAGE }]);
      for (let i = 0; i < 100; i++) memops.madviseDontneed(a, 1);
      const { invals, last } = await fast.drain();
      expect(invals).toEqual([{ type: 'inval', cookie: 1n, hint: false, start: a, end: a + PAGE, sources: [NativeSource.Madvise] }]);
      expect(last).toBe(100n);
      memops.munmap(a, 1);
    } finally {
      fast.close();
    }
  });

  it('the process exits cleanly with an engine left open', () => {
    const addon = fileURLToPath(new URL('./build/Release/ummunotify.node', import.meta.url));
    const script = `
      const n = require(${JSON.stringify(addon)});
      const uffd = n.createUffd(); const pidfd = n.pidfdOpen(process.pid);
      const e = n.createUffdEngine({ uffd, pidfd, pid: process.pid, maxRegistrations: 1, busyPollMicros: 0, onActivity() {} });
      e.info(); console.log('ok');`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });
});
