import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from './args.ts';

describe('ummunotifyd arguments', () => {
  it('needs --pid and fills in the defaults', () => {
    expect(parseDaemonArgs(['--pid', '42'])).toEqual({
      pid: 42,
      socket: undefined,
      allowUids: [],
      observerUids: [],
      maxRegistrations: 1 << 21,
      busyPollMicros: 50,
      exitGraceMs: 2000,
      logLevel: 'info',
    });
    expect(() => parseDaemonArgs([])).toThrow('--pid is required');
  });

  it('takes repeated --allow-uid and --flag=value forms', () => {
    const a = parseDaemonArgs(['--pid=7', '--allow-uid', '1000', '--allow-uid=1001', '--socket', '/run/x.sock', '--exit-grace-ms', '0']);
    expect(a.allowUids).toEqual([1000, 1001]);
    expect(a.socket).toBe('/run/x.sock');
    expect(a.exitGraceMs).toBe(0);
  });

  it('takes repeated --observer-uid, apart from --allow-uid', () => {
    const a = parseDaemonArgs(['--pid', '7', '--observer-uid', '1234', '--allow-uid', '1000', '--observer-uid=65534']);
    expect(a.observerUids).toEqual([1234, 65534]);
    expect(a.allowUids).toEqual([1000]);
    expect(() => parseDaemonArgs(['--pid', '7', '--observer-uid', 'bob'])).toThrow('--observer-uid: expected a whole number');
  });

  it('refuses what it cannot use, saying which argument', () => {
    expect(() => parseDaemonArgs(['--pid', '0'])).toThrow('--pid: must be at least 1');
    expect(() => parseDaemonArgs(['--pid', 'x'])).toThrow('--pid: expected a whole number');
    expect(() => parseDaemonArgs(['--pid', '1', '--socket', 'rel.sock'])).toThrow('absolute path');
    expect(() => parseDaemonArgs(['--pid', '1', '--frobnicate'])).toThrow('unknown argument');
  });
});
