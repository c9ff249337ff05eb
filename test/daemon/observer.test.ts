// The observer role: a uid given with --observer-uid may watch a target's
// invalidations (GetInfo, StreamEvents) but not disturb its cache. The tests
// run as root and play the observer with a process of uid 1234.

import { describe, expect, it } from 'vitest';
import type { Info } from '../../clients/node/src/client.ts';
import type { Report } from '../../clients/node/src/reports.ts';
import { otherUsers, refusal } from '../support/other-users.ts';
import type { Sidecar, TargetProcess } from '../support/target-process.ts';

const OBSERVER = 1234;
const NOBODY = 65534;
const PAGE = 4096n;
const { sidecar, userProcess } = otherUsers();

/** A sidecar whose target watches two pages under cookie 42, and a connected observer. */
async function watchedTarget(): Promise<{ s: Sidecar; observer: TargetProcess; addr: bigint }> {
  const s = await sidecar({ daemonArgs: ['--observer-uid', String(OBSERVER)] });
  const addr = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
  await s.target.do({ op: 'register', regs: [{ cookie: 42n, start: addr, end: addr + 2n * PAGE }] });
  const observer = await userProcess(OBSERVER);
  await observer.do({ op: 'connect', socket: s.daemon.socket });
  return { s, observer, addr };
}

describe('observer role', () => {
  it("an observer uid can GetInfo and StreamEvents, and receives the target's invalidations without draining them", async () => {
    const { s, observer, addr } = await watchedTarget();
    expect(await observer.do<Info>({ op: 'info' })).toMatchObject({ targetPid: s.target.pid, engine: 'ENGINE_UFFD', registrations: '1' });

    await observer.do({ op: 'subscribe' });
    await expect.poll(async () => (await s.target.do<Info>({ op: 'info' })).subscribers, { timeout: 5000 }).toBe(1);
    await s.target.do({ op: 'munmap', addr: addr + PAGE, pages: 1 });
    expect(await observer.do<Report | undefined>({ op: 'nextReport', timeoutMs: 5000 })).toEqual({
      kind: 'invalidation',
      cookie: 42n,
      hint: true,
      start: addr + PAGE,
      end: addr + 2n * PAGE,
      sources: ['unmap'],
    });

    // The target's own queue still holds the report: watching took nothing from it.
    const reports = await s.target.do<Report[]>({ op: 'readEvents' });
    expect(reports.map((r) => r.kind)).toEqual(['invalidation', 'last']);
    expect(reports[0]).toMatchObject({ cookie: 42n });
  });

  it('an observer may not Register, Unregister, ReadEvents, Attach or GetCounterEndpoint, and the target keeps everything', async () => {
    const { s, observer, addr } = await watchedTarget();
    await s.target.do({ op: 'munmap', addr: addr + PAGE, pages: 1 });
    await expect.poll(async () => (await s.target.do<Info>({ op: 'info' })).pendingReports, { timeout: 5000 }).toBe('1');
    const before = await s.target.do<Info>({ op: 'info' });

    const calls: Array<[() => Promise<unknown>, string]> = [
      [() => observer.do({ op: 'register', regs: [{ cookie: 7n, start: addr, end: addr + PAGE }] }), "Register would change the target's registrations"],
      [() => observer.do({ op: 'unregister', cookies: [42n] }), "Unregister would change the target's registrations"],
      [() => observer.do({ op: 'readEvents' }), "ReadEvents would drain the target's queue"],
      [() => observer.do({ op: 'attach' }), 'Attach would hand the daemon a notification fd'],
      [() => observer.do({ op: 'counter' }), "GetCounterEndpoint: the counter page is for root, the target's uid and --allow-uid only"],
    ];
    for (const [call, why] of calls) {
      const r = await refusal(call());
      expect(r.status, why).toBe('PERMISSION_DENIED');
      expect(r.message).toBe(`uid ${OBSERVER} is an observer (--observer-uid): it may call GetInfo and StreamEvents only; ${why}`);
    }
    // Knowing where the counter socket is does not help: its fd server does not serve observers.
    await expect(observer.do({ op: 'receiveFd', path: s.daemon.counterSocket })).rejects.toThrow();

    const after = await s.target.do<Info>({ op: 'info' });
    expect({ registrations: after.registrations, pendingReports: after.pendingReports, counter: after.counter }).toEqual({
      registrations: before.registrations,
      pendingReports: before.pendingReports,
      counter: before.counter,
    });
    const reports = await s.target.do<Report[]>({ op: 'readEvents' });
    expect(reports[0]).toMatchObject({ kind: 'invalidation', cookie: 42n, start: addr + PAGE });
    // Cookie 42 is still registered: the rest of its range still reports.
    await s.target.do({ op: 'munmap', addr, pages: 1 });
    expect((await s.target.do<Report[]>({ op: 'readEvents' }))[0]).toMatchObject({ kind: 'invalidation', cookie: 42n, start: addr });
    // The target itself still has its full role, counter page included.
    expect(typeof (await s.target.do<bigint>({ op: 'counter' }))).toBe('bigint');
  });

  it('a uid that is neither allowed nor an observer is refused at accept, and the log names the rule', async () => {
    const s = await sidecar({ daemonArgs: ['--observer-uid', String(OBSERVER)], captureDaemonLog: true });
    const stranger = await userProcess(NOBODY);
    expect((await refusal(stranger.do({ op: 'connect', socket: s.daemon.socket, timeoutMs: 1500 }))).message).toMatch(/no daemon answers/);
    const refused = s.daemonLog.map((line) => JSON.parse(line) as Record<string, unknown>).find((r) => r.msg === 'connection refused' && r.uid === NOBODY);
    expect(refused?.reason).toBe(
      `uid ${NOBODY} may not use this daemon: only root, the target's uid (0), uids given with --allow-uid (none) and, to observe, with --observer-uid (${OBSERVER})`,
    );
  });
});
