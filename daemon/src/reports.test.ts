import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { NativeSource } from './native-api.ts';
import { parseUint64, toNativeRegistrations, toWireReport } from './reports.ts';
import { RpcError } from './status.ts';

describe('reports on the wire', () => {
  it('carries what the kernel ABI carries, uint64 as decimal strings', () => {
    expect(toWireReport({ type: 'inval', cookie: 2n ** 64n - 1n, hint: true, start: 4096n, end: 8192n, sources: [NativeSource.Unmap, NativeSource.Fork] })).toEqual({
      invalidation: { cookie: '18446744073709551615', hint: true, start: '4096', end: '8192', sources: ['EVENT_SOURCE_UNMAP', 'EVENT_SOURCE_FORK'] },
    });
    expect(toWireReport({ type: 'last', counter: 7n })).toEqual({ last: { counter: '7' } });
  });

  it('refuses registrations that are not uint64, as INVALID_ARGUMENT naming the field', () => {
    expect(toNativeRegistrations([{ cookie: '1', start: '4096', end: '8192' }])).toEqual([{ cookie: 1n, start: 4096n, end: 8192n }]);
    const bad = (): bigint => parseUint64('18446744073709551616', 'registrations[0].end');
    expect(bad).toThrow(RpcError);
    expect(bad).toThrow('registrations[0].end: 18446744073709551616 does not fit in 64 bits');
    try {
      parseUint64('-1', 'cookies[3]');
    } catch (e) {
      expect((e as RpcError).code).toBe(grpc.status.INVALID_ARGUMENT);
    }
  });
});
