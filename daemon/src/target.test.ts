import { describe, expect, it } from 'vitest';
import { identifyTarget, isSameProcess, parseStartTime, startTimeOf } from './target.ts';

describe('target identity', () => {
  it('reads starttime even when the command name holds spaces and parentheses', () => {
    const stat = '123 (a (b) c) S 1 123 123 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000 200';
    expect(parseStartTime(stat)).toBe('98765');
    expect(parseStartTime('garbage')).toBeUndefined();
  });

  it('identifies a live process and tells a reused pid apart by start time', () => {
    const me = identifyTarget(process.pid);
    expect(me).toBeDefined();
    if (me === undefined) return;
    expect(me.uid).toBe(process.getuid?.());
    expect(isSameProcess(me, process.pid, startTimeOf(process.pid))).toBe(true);
    expect(isSameProcess(me, process.pid, String(BigInt(me.startTime) + 1n))).toBe(false);
    expect(isSameProcess(me, process.pid + 1, me.startTime)).toBe(false);
    expect(identifyTarget(2 ** 22 + 12345)).toBeUndefined();
  });
});
