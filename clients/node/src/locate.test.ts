import { describe, expect, it } from 'vitest';
import { chooseSocket, runtimeDirOf, socketCandidates, type Candidate } from './locate.ts';

const paths = (cs: readonly Candidate[]) => cs.map((c) => c.path);

describe("finding a target's daemon by pid", () => {
  it("an observer (another user) looks where the target user's and root's daemons would be", () => {
    const cs = socketCandidates({ pid: 42, targetUid: 1000, callerUid: 1234, callerEnv: { XDG_RUNTIME_DIR: '/run/user/1234' } });
    expect(paths(cs)).toEqual(['/run/user/1234/ummunotify/42.sock', '/run/user/1000/ummunotify/42.sock', '/run/ummunotify/42.sock']);
    expect(cs[1]?.why).toBe("a daemon run as uid 1000, the target's user");
    expect(cs[2]?.why).toBe('a daemon run as root');
  });

  it("puts the target's own runtime dir first, where a sidecar it spawned would be", () => {
    const cs = socketCandidates({ pid: 42, targetUid: 1000, callerUid: 0, callerEnv: {}, targetRuntimeDir: '/tmp/rt' });
    expect(paths(cs)).toEqual(['/tmp/rt/ummunotify/42.sock', '/run/ummunotify/42.sock', '/run/user/1000/ummunotify/42.sock']);
  });

  it('lists each path once, and skips a caller without XDG_RUNTIME_DIR', () => {
    expect(paths(socketCandidates({ pid: 7, targetUid: 1000, callerUid: 1000, callerEnv: { XDG_RUNTIME_DIR: '/run/user/1000' }, targetRuntimeDir: '/run/user/1000' }))).toEqual([
      '/run/user/1000/ummunotify/7.sock',
      '/run/ummunotify/7.sock',
    ]);
    expect(paths(socketCandidates({ pid: 7, targetUid: 0, callerUid: 1234, callerEnv: {} }))).toEqual(['/run/ummunotify/7.sock']);
  });

  it('takes the first path holding a socket', () => {
    const cs = socketCandidates({ pid: 42, targetUid: 1000, callerUid: 1234, callerEnv: {} });
    expect(chooseSocket(42, 1000, [{ candidate: cs[0] as Candidate, probe: 'missing' }, { candidate: cs[1] as Candidate, probe: 'socket' }])).toEqual({ path: '/run/ummunotify/42.sock' });
  });

  it('lists every path tried, and what was there, when none holds a socket', () => {
    const cs = socketCandidates({ pid: 42, targetUid: 1000, callerUid: 1234, callerEnv: {} });
    const r = chooseSocket(42, 1000, [
      { candidate: cs[0] as Candidate, probe: 'permission denied' },
      { candidate: cs[1] as Candidate, probe: 'missing' },
    ]);
    expect('error' in r && r.error.split('\n')).toEqual([
      'no daemon socket found for pid 42 (uid 1000); tried:',
      "  /run/user/1000/ummunotify/42.sock (a daemon run as uid 1000, the target's user): permission denied (a daemon lets other uids in only with --allow-uid or --observer-uid)",
      '  /run/ummunotify/42.sock (a daemon run as root): missing',
      'if its daemon was started with --socket PATH, pass that path',
    ]);
  });

  it("reads XDG_RUNTIME_DIR from a process's environ", () => {
    expect(runtimeDirOf('HOME=/root\0XDG_RUNTIME_DIR=/run/user/5\0PATH=/bin\0')).toBe('/run/user/5');
    expect(runtimeDirOf('XDG_RUNTIME_DIR=\0')).toBeUndefined();
    expect(runtimeDirOf('')).toBeUndefined();
  });
});
