// Reports coalesce per registration, overlapping registrations are reported
// separately, and byte ranges are hit by exactly the pages they touch.

import { describe, expect, it } from 'vitest';
import { eachWithSidecar } from '../support/target-process.ts';

const PAGE = 4096n;
const fixture = eachWithSidecar();

describe('coalescing and matching', () => {
  it('many invalidations before a read: one report, no HINT, the whole registration', async () => {
    const p = await fixture.sidecar.target.do<bigint>({ op: 'mmap', pages: 4 });
    await fixture.sidecar.target.do({ op: 'register', regs: [{ cookie: 7n, start: p, end: p + 4n * PAGE }] });
    for (let i = 0; i < 10; i++) await fixture.sidecar.target.do({ op: 'madvise', addr: p + BigInt(i % 4) * PAGE, pages: 1 });
    await fixture.sidecar.target.do({ op: 'munmap', addr: p + 3n * PAGE, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 7n, hint: false, start: p, end: p + 4n * PAGE, sources: ['madvise', 'unmap'] },
      { kind: 'last', counter: 11n },
    ]);
  });

  it('overlapping and identical registrations each get their own report', async () => {
    const p = await fixture.sidecar.target.do<bigint>({ op: 'mmap', pages: 3 });
    await fixture.sidecar.target.do({
      op: 'register',
      regs: [
        { cookie: 1n, start: p, end: p + 3n * PAGE },
        { cookie: 2n, start: p, end: p + 3n * PAGE },
        { cookie: 3n, start: p + PAGE, end: p + 2n * PAGE },
      ],
    });
    await fixture.sidecar.target.do({ op: 'madvise', addr: p + PAGE, pages: 1 });
    const reports = await fixture.observer.readEvents();
    expect(reports.slice(0, 3).sort((a, b) => (a.kind === 'invalidation' && b.kind === 'invalidation' ? Number(a.cookie - b.cookie) : 0))).toEqual(
      [1n, 2n, 3n].map((cookie) => ({ kind: 'invalidation', cookie, hint: true, start: p + PAGE, end: p + 2n * PAGE, sources: ['madvise'] })),
    );
    expect(reports[3]).toEqual({ kind: 'last', counter: 1n });
  });

  it('a byte range straddling a page boundary is hit by either page, clipped, and by nothing else', async () => {
    const p = await fixture.sidecar.target.do<bigint>({ op: 'mmap', pages: 3 });
    await fixture.sidecar.target.do({
      op: 'register',
      regs: [
        { cookie: 1n, start: p + 4000n, end: p + PAGE + 100n },
        { cookie: 2n, start: p + 2n * PAGE, end: p + 2n * PAGE + 8n },
      ],
    });
    await fixture.sidecar.target.do({ op: 'madvise', addr: p + 2n * PAGE, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 2n, hint: true, start: p + 2n * PAGE, end: p + 2n * PAGE + 8n, sources: ['madvise'] },
      { kind: 'last', counter: 1n },
    ]);
    await fixture.sidecar.target.do({ op: 'madvise', addr: p + PAGE, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p + PAGE, end: p + PAGE + 100n, sources: ['madvise'] },
      { kind: 'last', counter: 2n },
    ]);
    await fixture.sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
    expect(await fixture.observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p + 4000n, end: p + PAGE, sources: ['madvise'] },
      { kind: 'last', counter: 3n },
    ]);
  });
});
