// Fd handoff, peer identity and pidfd_getfd permission, for real.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { needRoot, otherUidDir, otherUidFile } from '../../test/support/other-uid.ts';
import { catchError, native, openHarness, type Harness } from './test/helpers.ts';

const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_FUTURE_WRITE = 0x10;
const NOBODY = 65534;

let dir: string;
let h: Harness;
beforeEach(() => {
  dir = mkdtempSync('/tmp/ummu-fd-');
  h = openHarness();
});
afterEach(() => {
  h.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs a script under node as uid/gid 65534 (nobody); returns its JSON
 * output. The checkout may be out of nobody's reach, so the script runs in
 * the private directory for other uids, where ADDON names the addon's copy.
 */
function asNobody(script: string): unknown {
  needRoot(NOBODY);
  const addon = `const ADDON = ${JSON.stringify(otherUidFile('daemon/native/build/Release/ummunotify.node'))};`;
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '-e', addon + script], {
    cwd: otherUidDir(),
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`setpriv failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('serveFd / receiveFd', () => {
  it('hands over a sealed, read-only counter page', () => {
    const path = `${dir}/counter.sock`;
    const fd = h.engine.counterFd();
    const server = native.serveFd(path, fd, [process.getuid!()]);
    native.close(fd); // the server keeps its own copy
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const got = native.receiveFd(path);
      expect(native.getSeals(got)).toBe(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE);
      expect(native.fdKind(got)).toBe('other');
      const view = native.mapCounter(got);
      expect(view.load()).toBe(h.engine.info().counter);
      view.unmap();
      expect(catchError(() => view.load()).kind).toBe('precondition');
      native.close(got);
      // A second peer gets one too.
      native.close(native.receiveFd(path));
    } finally {
      server.close();
      server.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a uid that is not allowed', () => {
    const path = `${dir}/counter.sock`;
    const fd = h.engine.counterFd();
    const server = native.serveFd(path, fd, []);
    native.close(fd);
    try {
      chmodSync(dir, 0o755);
      chmodSync(path, 0o666); // let the connection through, so the uid check is what refuses
      const out = asNobody(`
        const n = require(ADDON);
        try { n.receiveFd(${JSON.stringify(path)}); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ kind: e.kind, code: e.code })); }`);
      expect(out).toEqual({ kind: 'permission', code: 'ECONNRESET' });
    } finally {
      server.close();
    }
  });

  it('receiveFd from nowhere is not_found', () => {
    expect(catchError(() => native.receiveFd(`${dir}/none.sock`))).toMatchObject({ kind: 'not_found', code: 'ENOENT' });
  });
});

describe('peer identity', () => {
  it('peerCred and peerPidfd on a Unix socket', async () => {
    const path = `${dir}/peer.sock`;
    const server = createServer();
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = connect(path);
    const sock = await accepted;
    try {
      const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
      expect(native.peerCred(fd)).toEqual({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
      const pidfd = native.peerPidfd(fd);
      expect(pidfd).not.toBeNull(); // kernel 6.5+
      expect(native.fdKind(pidfd!)).toBe('other');
      native.close(pidfd!);
      expect(catchError(() => native.peerCred(native.pidfdOpen(process.pid))).code).toBe('ENOTSOCK');
    } finally {
      client.destroy();
      sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('pidfd', () => {
  it('pidfdGetfd as another uid is a permission error that names the reasons', () => {
    const uffd = native.createUffd();
    try {
      const out = asNobody(`
        const n = require(ADDON);
        const pidfd = n.pidfdOpen(${process.pid});
        try { n.pidfdGetfd(pidfd, ${uffd}); console.log(JSON.stringify({ ok: true })); }
        catch (e) { console.log(JSON.stringify({ kind: e.kind, code: e.code, errno: e.errno, message: e.message })); }`) as Record<string, unknown>;
      expect(out).toMatchObject({ kind: 'permission', code: 'EPERM', errno: 1 });
      expect(out.message).toMatch(/ptrace_scope/);
      expect(out.message).toMatch(/PR_SET_PTRACER/);
      expect(out.message).toMatch(/user namespace/);
      expect(out.message).toMatch(/CAP_SYS_PTRACE/);
    } finally {
      native.close(uffd);
    }
  });

  it('fdKind tells a uffd from other fds; bad fds are errors', () => {
    const uffd = native.createUffd();
    expect(native.fdKind(uffd)).toBe('uffd');
    native.close(uffd);
    expect(native.fdKind(0)).toBe('other');
    expect(catchError(() => native.fdKind(99999))).toMatchObject({ kind: 'invalid', code: 'EBADF' });
    expect(catchError(() => native.close(99999))).toMatchObject({ code: 'EBADF' });
    expect(catchError(() => native.pidfdGetfd(native.pidfdOpen(process.pid), 99999))).toMatchObject({ kind: 'invalid', code: 'EBADF' });
  });
});
