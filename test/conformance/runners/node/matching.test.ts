import { describe, expect, it } from 'vitest';
import type { Report } from '../../../../clients/node/src/reports.ts';
import { mismatch, type MatchContext } from './matching.ts';
import { evaluate } from './expressions.ts';

const uffd: MatchContext = { engine: 'uffd', evaluate: (e) => evaluate(e, new Map([['a', 0x1000n]]), 4096n) };
const device: MatchContext = { ...uffd, engine: 'device' };
const inval = (cookie: bigint, sources: Report extends never ? never : ('unmap' | 'madvise')[] = ['unmap']): Report => ({ kind: 'invalidation', cookie, hint: true, start: 0x1000n, end: 0x2000n, sources });
const last: Report = { kind: 'last', counter: 3n };

describe('matching reports', () => {
  it('takes invalidations as a set keyed by cookie, then the other reports in order', () => {
    const expectation = [{ invalidation: { cookie: 2 } }, { invalidation: { cookie: 1, hint: true, start: 'a', end: 'a+1p', sources: ['unmap'] } }, { last: {} }] as const;
    expect(mismatch([inval(1n), inval(2n), last], expectation, uffd)).toBeUndefined();
    expect(mismatch([inval(1n), last], expectation, uffd)).toMatch(/cookies \[1\], expected \[2, 1\]/);
    expect(mismatch([inval(1n), inval(2n)], expectation, uffd)).toMatch(/expected \[last\]/);
  });

  it('compares sources on uffd, and requires none on the device', () => {
    const expectation = [{ invalidation: { cookie: 1, sources: ['madvise'] } }];
    expect(mismatch([inval(1n)], expectation, uffd)).toMatch(/sources \[unmap\], expected \[madvise\]/);
    expect(mismatch([inval(1n, [])], expectation, device)).toBeUndefined();
    expect(mismatch([inval(1n)], expectation, device)).toMatch(/expected \[\]/);
  });

  it('an empty expectation means an empty answer', () => {
    expect(mismatch([], [], uffd)).toBeUndefined();
    expect(mismatch([last], [], uffd)).toMatch(/expected \[\]/);
  });

  it('refuses a duplicate cookie, a report out of order and an unknown matcher', () => {
    expect(mismatch([inval(1n), inval(1n)], [{ invalidation: { cookie: 1 } }], uffd)).toMatch(/twice/);
    expect(mismatch([last, inval(1n)], [{ invalidation: { cookie: 1 } }, { last: {} }], uffd)).toMatch(/follows/);
    expect(() => mismatch([], [{ lost: {} } as never], uffd)).toThrow(/expected one of/);
    expect(() => mismatch([], [{ invalidation: { cookie: 1, colour: 'red' } } as never], uffd)).toThrow(/unknown field colour/);
  });
});
