// Who is at the other end of a connection: the target itself, or a process
// that merely has its uid (or, later, its recycled pid).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { native } from './native.ts';
import { identifyPeer, socketFd } from './peers.ts';
import { identifyTarget, parsePidfdPid, pidOfPidfd, type TargetIdentity } from './target.ts';

let dir: string;
let server: Server;
let accepted: Socket[];
let children: ChildProcess[];

beforeEach(async () => {
  dir = mkdtempSync('/tmp/ummu-peers-');
  accepted = [];
  children = [];
  server = createServer((s) => accepted.push(s));
  await new Promise<void>((resolve) => server.listen(`${dir}/s.sock`, resolve));
});
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of accepted) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function nextConnection(): Promise<Socket> {
  const seen = accepted.length;
  while (accepted.length === seen) await new Promise((r) => setTimeout(r, 5));
  return accepted[seen]!;
}

/** A node process that connects to our socket and stays until killed. */
function otherProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(`${dir}/s.sock`)}); setInterval(() => {}, 1000)`], {
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

function self(): TargetIdentity {
  const me = identifyTarget(process.pid);
  if (me === undefined) throw new Error('cannot identify this process');
  return me;
}

describe('peer identity at accept', () => {
  it('reads the pid of a pidfd from its fdinfo, and none once the process has exited', () => {
    expect(parsePidfdPid('pos:\t0\nflags:\t02000002\nmnt_id:\t15\nino:\t1057\nPid:\t4242\nNSpid:\t4242\n')).toBe(4242);
    expect(parsePidfdPid('pos:\t0\nPid:\t-1\nNSpid:\t-1\n')).toBeUndefined();
    expect(parsePidfdPid('pos:\t0\n')).toBeUndefined();
    const pidfd = native.pidfdOpen(process.pid);
    try {
      expect(pidOfPidfd(pidfd)).toBe(process.pid);
    } finally {
      native.close(pidfd);
    }
  });

  it('the target connecting is told apart by SO_PEERPIDFD, the process itself, not its pid number', async () => {
    const client = connect(`${dir}/s.sock`);
    try {
      const sock = await nextConnection();
      const fd = socketFd(sock);
      const id = identifyPeer(fd, native.peerCred(fd), self());
      // This host runs Linux 6.5 or later; guests on 6.1 take the start-time path (isSameProcess).
      expect(id).toEqual({ isTarget: true, identifiedBy: 'SO_PEERPIDFD' });
    } finally {
      client.destroy();
    }
  });

  it('another process with the same uid is not the target', async () => {
    const child = otherProcess();
    const sock = await nextConnection();
    const fd = socketFd(sock);
    const cred = native.peerCred(fd);
    expect(cred.pid).toBe(child.pid);
    expect(identifyPeer(fd, cred, self())).toEqual({ isTarget: false, identifiedBy: 'SO_PEERPIDFD' });
  });

  it('a peer that has exited is nobody, even were its pid the target', async () => {
    const child = otherProcess();
    const sock = await nextConnection();
    const fd = socketFd(sock);
    const cred = native.peerCred(fd);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Pretend the dead peer's pid belonged to the target: its pid number alone would pass.
    const target: TargetIdentity = { ...self(), pid: cred.pid };
    expect(identifyPeer(fd, cred, target).isTarget).toBe(false);
  });
});
