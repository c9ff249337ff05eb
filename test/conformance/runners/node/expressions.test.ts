import { describe, expect, it } from 'vitest';
import { evaluate } from './expressions.ts';

const names = new Map([['a', 0x10000n], ['b_2', 0x20000n]]);
const at = (v: unknown): bigint => evaluate(v, names, 4096n);

describe('scenario expressions', () => {
  it('reads names, bytes, pages and hex, joined by + and -', () => {
    expect(at('a')).toBe(0x10000n);
    expect(at('a+1p+100')).toBe(0x10000n + 4096n + 100n);
    expect(at('2p-1')).toBe(8191n);
    expect(at('b_2-a')).toBe(0x10000n);
    expect(at('0x800000000000')).toBe(0x800000000000n);
    expect(at(12)).toBe(12n);
  });

  it('refuses what it cannot read, unknown names and results outside u64', () => {
    expect(() => at('a*2')).toThrow(/cannot read/);
    expect(() => at('c+1p')).toThrow(/no mapping is named c/);
    expect(() => at('1-2')).toThrow(/outside/);
    expect(() => at('0x10000000000000000')).toThrow(/outside/);
    expect(() => at(-1)).toThrow(/whole number/);
    expect(() => at(true)).toThrow(/expected an expression/);
  });
});
