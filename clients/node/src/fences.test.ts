import { describe, expect, it } from 'vitest';
import { UnregisterFences } from './fences.ts';

const inval = (cookie: bigint) => ({ kind: 'invalidation', cookie });

describe('UnregisterFences', () => {
  it('drops a report for an unregistered cookie only from batches taken before its Unregister', () => {
    const fences = new UnregisterFences();
    const reader = fences.reader();
    fences.record([1n], 3n);
    expect(reader.admits(inval(1n), 2n)).toBe(false);
    expect(reader.admits(inval(2n), 2n)).toBe(true);
    expect(reader.admits({ kind: 'last' }, 2n)).toBe(true);
    expect(reader.admits(inval(1n), 3n)).toBe(true); // a registration made after the Unregister
  });

  it('holds nothing while no subscription is open: a later one only gets later batches', () => {
    const fences = new UnregisterFences();
    fences.record([1n, 2n], 5n);
    expect(fences.size).toBe(0);
    const reader = fences.reader();
    expect(reader.seen).toBe(5n);
  });

  it('forgets a fence once every open subscription has been handed a batch at or past it, and all when they close', () => {
    const fences = new UnregisterFences();
    const a = fences.reader();
    const b = fences.reader();
    fences.record([1n], 1n);
    fences.record([2n], 2n);
    expect(fences.size).toBe(2);
    a.admits(inval(9n), 2n);
    expect(fences.size).toBe(2); // b has not passed either
    b.admits(inval(9n), 1n);
    expect(fences.size).toBe(1);
    b.close();
    expect(fences.size).toBe(0);
    a.close();
  });
});
