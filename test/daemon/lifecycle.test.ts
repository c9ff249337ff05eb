// How a daemon ends: with its target, on SIGTERM, or killed, and in no case
// leaving the target blocked or files behind.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { Report } from '../../clients/node/src/reports.ts';
import { startSidecar, type Sidecar, TargetError, TargetProcess } from '../support/target-process.ts';

const PAGE = 4096n;
let s: Sidecar | undefined;
const clients: UmmunotifyClient[] = [];
const others: TargetProcess[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const o of others.splice(0)) await o.kill();
  await s?.close();
  s = undefined;
});

async function observer(sidecar: Sidecar): Promise<UmmunotifyClient> {
  const c = await UmmunotifyClient.connect(sidecar.daemon.socket);
  clients.push(c);
  return c;
}

/** The target exits on its own (it never answers this request). */
async function exitTarget(sidecar: Sidecar): Promise<void> {
  void sidecar.target.do({ op: 'exit', code: 0 });
  await sidecar.target.exited;
}

async function collect(stream: AsyncIterable<Report>): Promise<Report[]> {
  const all: Report[] = [];
  for await (const r of stream) all.push(r);
  return all;
}

describe('lifecycle', () => {
  it('target exit: every stream gets its reports then TargetExited and ends; the daemon exits and removes both sockets', async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
    await s.target.do({ op: 'register', regs: [{ cookie: 5n, start: p, end: p + PAGE }] });
    await s.target.do({ op: 'counter' }); // the counter socket exists once fetched
    const a = await observer(s);
    const b = await observer(s);
    const streams = [collect(a.streamEvents()), collect(b.streamEvents())];
    // Let both subscriptions reach the daemon before anything happens.
    await new Promise((r) => setTimeout(r, 200));
    await s.target.do({ op: 'munmap', addr: p, pages: 1 });
    await exitTarget(s);
    for (const reports of await Promise.all(streams)) {
      expect(reports).toEqual([
        { kind: 'invalidation', cookie: 5n, hint: true, start: p, end: p + PAGE, sources: ['unmap'] },
        { kind: 'targetExited', pid: s.target.pid },
      ]);
    }
    expect(await s.daemon.exited).toBe(0);
    expect(existsSync(s.daemon.socket)).toBe(false);
    expect(existsSync(s.daemon.counterSocket)).toBe(false);
  });

  it('after the target exits, mutating calls are FAILED_PRECONDITION and ReadEvents ends with TargetExited', async () => {
    s = await startSidecar({ daemonArgs: ['--exit-grace-ms', '3000'] });
    const o = await observer(s);
    await exitTarget(s);
    await expect.poll(async () => (await o.info()).targetAlive).toBe(false);
    await expect(o.register({ cookie: 1n, start: PAGE, end: 2n * PAGE })).rejects.toMatchObject({ status: 'FAILED_PRECONDITION' });
    expect(await o.readEvents()).toEqual([{ kind: 'targetExited', pid: s.target.pid }]);
  });

  it('a connection closed with reports pending takes none with it: its subscription is dropped, the queue stays for the next reader', async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 7n, start: p, end: p + 2n * PAGE }] });
    // Another process holds a subscription; its death closes its connection.
    const leaving = await TargetProcess.start();
    others.push(leaving);
    await leaving.do({ op: 'connect', socket: s.daemon.socket });
    await leaving.do({ op: 'subscribe' });
    const reader = await observer(s);
    await expect.poll(async () => (await reader.info()).subscribers, { timeout: 5000 }).toBe(1);
    await s.target.do({ op: 'munmap', addr: p, pages: 1 });
    await expect.poll(async () => (await reader.info()).pendingReports, { timeout: 5000 }).toBe('1');

    await leaving.kill();
    await expect.poll(async () => (await reader.info()).subscribers, { timeout: 5000 }).toBe(0);
    expect(await reader.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 7n, hint: true, start: p, end: p + PAGE, sources: ['unmap'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it('SIGTERM: streams end cleanly, the daemon exits 0 and removes its sockets', async () => {
    s = await startSidecar();
    const o = await observer(s);
    const stream = collect(o.streamEvents());
    await new Promise((r) => setTimeout(r, 200));
    s.daemon.process.kill('SIGTERM');
    expect(await stream).toEqual([]);
    expect(await s.daemon.exited).toBe(0);
    expect(existsSync(s.daemon.socket)).toBe(false);
  });

  it('SIGKILL of the daemon while the target munmaps watched memory: the target finishes and sees UNAVAILABLE', async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 100 });
    const loop = s.target.do({ op: 'counterLoop', addr: p, pages: 100, cycles: 100_000_000 });
    await new Promise((r) => setTimeout(r, 1000));
    s.daemon.process.kill('SIGKILL');
    const err = await loop.then(
      () => undefined,
      (e: unknown) => e as TargetError,
    );
    expect(err?.status).toBe('UNAVAILABLE');
    // The target is not stuck: it still answers.
    expect(await s.target.do({ op: 'mmap', pages: 1 })).toBeTypeOf('bigint');
  });
});
