import { describe, expect, it } from 'vitest';
import { NativeSource } from './native-api.ts';
import { toWireReport } from './reports.ts';

describe('reports on the wire', () => {
  it('carries what the kernel ABI carries, uint64 as decimal strings', () => {
    expect(toWireReport({ type: 'inval', cookie: 2n ** 64n - 1n, hint: true, start: 4096n, end: 8192n, sources: [NativeSource.Unmap, NativeSource.Fork] })).toEqual({
      invalidation: { cookie: '18446744073709551615', hint: true, start: '4096', end: '8192', sources: ['EVENT_SOURCE_UNMAP', 'EVENT_SOURCE_FORK'] },
    });
    expect(toWireReport({ type: 'last', counter: 7n })).toEqual({ last: { counter: '7' } });
  });
});
