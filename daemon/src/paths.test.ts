import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claim, daemonPaths, defaultSocketDir, ensurePrivateDir, othersMustConnect, release, socketDirMode } from './paths.ts';

describe('socket paths', () => {
  it('puts root under /run and users under XDG_RUNTIME_DIR', () => {
    expect(defaultSocketDir(0, {})).toBe('/run/ummunotify');
    expect(defaultSocketDir(1000, { XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/ummunotify');
    expect(() => defaultSocketDir(1000, {})).toThrow('XDG_RUNTIME_DIR');
  });

  it('keeps the counter socket and the lock next to the gRPC socket', () => {
    expect(daemonPaths('/run/ummunotify/42.sock')).toEqual({
      dir: '/run/ummunotify',
      grpcSocket: '/run/ummunotify/42.sock',
      counterSocket: '/run/ummunotify/42.counter.sock',
      lockFile: '/run/ummunotify/42.lock',
    });
  });

  it('creates the directory 0700', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'umn-paths-')), 'sub');
    ensurePrivateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('opens the modes when another uid must connect: the target, --allow-uid or --observer-uid', () => {
    expect(othersMustConnect(1000, [1000])).toBe(false);
    expect(othersMustConnect(0, [0, 0])).toBe(false);
    expect(othersMustConnect(0, [1000])).toBe(true);
    expect(othersMustConnect(1000, [1000, 1234])).toBe(true);
  });

  it('never takes search bits away from a shared directory, but takes read and write bits', () => {
    expect(socketDirMode(0o700, undefined)).toBe(0o700);
    expect(socketDirMode(0o711, 0o700)).toBe(0o711);
    expect(socketDirMode(0o700, 0o711)).toBe(0o711);
    expect(socketDirMode(0o700, 0o755)).toBe(0o711);
  });

  it('keeps a shared directory searchable for another daemon, and refuses one others can write into', () => {
    const base = mkdtempSync(join(tmpdir(), 'umn-paths-'));
    const shared = join(base, 'shared');
    ensurePrivateDir(shared, 0o711);
    ensurePrivateDir(shared, 0o700);
    expect(statSync(shared).mode & 0o777).toBe(0o711);
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o1777);
    expect(() => ensurePrivateDir(open)).toThrow('writable by others');
    expect(statSync(open).mode & 0o7777).toBe(0o1777);
  });
});

describe('claiming a target', () => {
  it('replaces a stale lock and socket, and refuses a live daemon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'umn-claim-'));
    const paths = daemonPaths(join(dir, '1.sock'));
    // A lock naming a pid that cannot exist, and a socket file nobody listens on.
    writeFileSync(paths.lockFile, '4194399\n');
    writeFileSync(paths.grpcSocket, '');
    await claim(paths);
    expect(existsSync(paths.grpcSocket)).toBe(false);

    const live = createServer().listen(paths.grpcSocket);
    await new Promise((r) => live.once('listening', r));
    writeFileSync(paths.lockFile, '4194399\n');
    await expect(claim(paths)).rejects.toThrow('another daemon');
    live.close();
    release(paths);
    expect(existsSync(paths.lockFile)).toBe(false);
  });
});
