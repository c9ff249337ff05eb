import { describe, expect, it } from 'vitest';
import { NativeSource } from './native-api.ts';
import { ummunotifyV1 } from './proto.ts';
import { MAX_REPORTS_PER_READ, toWireReport } from './reports.ts';

describe('reports on the wire', () => {
  it('carries what the kernel ABI carries, uint64 as decimal strings', () => {
    expect(toWireReport({ type: 'inval', cookie: 2n ** 64n - 1n, hint: true, start: 4096n, end: 8192n, sources: [NativeSource.Unmap, NativeSource.Fork] })).toEqual({
      invalidation: { cookie: '18446744073709551615', hint: true, start: '4096', end: '8192', sources: ['EVENT_SOURCE_UNMAP', 'EVENT_SOURCE_FORK'] },
    });
    expect(toWireReport({ type: 'last', counter: 7n })).toEqual({ last: { counter: '7' } });
  });
});

describe('a ReadEvents reply', () => {
  // The bound exists so that a reply is never refused by the client's
  // receive limit after the reports have already left the queue.
  it('of MAX_REPORTS_PER_READ worst-case reports stays under the 4 MiB that gRPC clients accept by default', () => {
    const max = 2n ** 64n - 1n;
    const worst = toWireReport({
      type: 'inval',
      cookie: max,
      hint: true,
      start: max,
      end: max,
      sources: [NativeSource.Unmap, NativeSource.Madvise, NativeSource.Mremap, NativeSource.Fork],
    });
    const serialize = ummunotifyV1.UmmunotifyService.service.ReadEvents.responseSerialize;
    const one = serialize({ reports: [worst] }).length;
    expect(one).toBeLessThanOrEqual(47);
    const reply = serialize({ reports: Array.from({ length: MAX_REPORTS_PER_READ }, () => worst) });
    expect(reply.length).toBe(one * MAX_REPORTS_PER_READ);
    expect(reply.length).toBeLessThan(4 * 1024 * 1024);
  });
});
