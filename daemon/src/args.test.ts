import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseDaemonArgs, parseRunArgs, RUN_DEFAULTS } from './args.ts';

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

describe('ummunotifyd run arguments', () => {
  it('splits at the first --: daemon options before, CMD and its arguments after, untouched', () => {
    expect(parseRunArgs(['--busy-poll-us', '0', '--', 'python3', 'rank.py', '--pid', '--', '-x'])).toEqual({
      daemon: { socket: undefined, allowUids: [], observerUids: [], maxRegistrations: 1 << 21, busyPollMicros: 0, exitGraceMs: 0, logLevel: 'warn' },
      command: ['python3', 'rank.py', '--pid', '--', '-x'],
    });
  });

  it('defaults to --log-level warn and --exit-grace-ms 0, which can be given', () => {
    expect(parseRunArgs(['--', 'true']).daemon).toMatchObject(RUN_DEFAULTS);
    expect(parseRunArgs(['--log-level=info', '--exit-grace-ms', '500', '--', 'true']).daemon).toMatchObject({ logLevel: 'info', exitGraceMs: 500 });
  });

  it('refuses a missing --, a missing command, --pid, and bad options', () => {
    expect(() => parseRunArgs(['python3', 'x.py'])).toThrow('run: put -- before the command (-- python3 ...)');
    expect(() => parseRunArgs([])).toThrow('run: missing -- CMD');
    expect(() => parseRunArgs(['--'])).toThrow('run: no command after --');
    expect(() => parseRunArgs(['--pid', '5', '--', 'true'])).toThrow('--pid does not apply');
    expect(() => parseRunArgs(['--frobnicate', '--', 'true'])).toThrow('unknown argument');
  });

  it('the command line: --help counts before -- only; run or serve otherwise', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['run', '-h', '--', 'x'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['run', '--', 'x', '--help'])).toMatchObject({ kind: 'run', args: { command: ['x', '--help'] } });
    expect(parseCommandLine(['--pid', '9'])).toMatchObject({ kind: 'serve', args: { pid: 9, logLevel: 'info', exitGraceMs: 2000 } });
  });
});
