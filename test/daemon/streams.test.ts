// StreamEvents: any number of subscribers, each sees every cookie; a
// subscriber that stops reading costs bounded memory (its reports coalesce
// in the engine) and still gets every cookie when it reads again.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { UmmunotifyError } from '../../clients/node/src/errors.ts';
import { startSidecar, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
let s: Sidecar | undefined;
const clients: UmmunotifyClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await s?.close();
  s = undefined;
});

/** `pages` watched pages, one registration (cookie 1..pages) each. */
async function watchedPages(sidecar: Sidecar, pages: number): Promise<bigint> {
  const p = await sidecar.target.do<bigint>({ op: 'mmap', pages });
  const regs = Array.from({ length: pages }, (_, i) => ({ cookie: BigInt(i + 1), start: p + BigInt(i) * PAGE, end: p + BigInt(i + 1) * PAGE }));
  await sidecar.target.do({ op: 'register', regs });
  return p;
}

/** Reads a stream until it has seen every cookie in 1..count. */
async function allCookies(client: UmmunotifyClient, count: number, ready: () => void): Promise<Set<bigint>> {
  const seen = new Set<bigint>();
  const stream = client.streamEvents();
  const first = stream.next();
  ready();
  for (let r = await first; !r.done; r = await stream.next()) {
    if (r.value.kind === 'invalidation') seen.add(r.value.cookie);
    if (seen.size === count) break;
  }
  await stream.return(undefined);
  return seen;
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1]);
}

async function subscribers(n: number): Promise<void> {
  s = await startSidecar();
  const p = await watchedPages(s, 100);
  const subs = await Promise.all(Array.from({ length: n }, () => UmmunotifyClient.connect((s as Sidecar).daemon.socket)));
  clients.push(...subs);
  let ready = 0;
  const results = subs.map((c) => allCookies(c, 100, () => ready++));
  await expect.poll(async () => ready === n && (await subs[0]?.info())?.subscribers === n).toBe(true);
  await s.target.do({ op: 'madviseLoop', addr: p, pages: 100, rounds: 1 });
  for (const seen of await Promise.all(results)) expect(seen.size).toBe(100);
}

describe('StreamEvents', () => {
  it('before Attach, ends at once with FAILED_PRECONDITION rather than hanging', async () => {
    s = await startSidecar({ attach: false });
    const client = await UmmunotifyClient.connect(s.daemon.socket);
    clients.push(client);
    await expect(client.streamEvents().next()).rejects.toMatchObject({ status: 'FAILED_PRECONDITION', message: expect.stringMatching(/not attached/) });
  });

  it('closing a client cancels its open streams: the daemon drops both subscribers at once', async () => {
    s = await startSidecar();
    const watcher = await UmmunotifyClient.connect(s.daemon.socket);
    const closing = await UmmunotifyClient.connect(s.daemon.socket);
    clients.push(watcher);
    const pulled = await closing.subscribe();
    const iterated = closing.streamEvents();
    const ended = iterated.next().then(
      () => 'ended',
      (e: unknown) => (e as UmmunotifyError).code,
    );
    await expect.poll(async () => (await watcher.info()).subscribers).toBe(2);
    closing.close();
    await expect.poll(async () => (await watcher.info()).subscribers).toBe(0);
    expect(await ended).toBe(grpc.status.CANCELLED);
    await expect(pulled.next(1000)).rejects.toMatchObject({ code: grpc.status.CANCELLED });
  });

  it('subscribe() resolves once the subscription is in place: an invalidation right after is delivered, with no polling (20 rounds)', async () => {
    s = await startSidecar();
    const client = await UmmunotifyClient.connect(s.daemon.socket);
    clients.push(client);
    for (let round = 0; round < 20; round++) {
      const p = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
      const cookie = BigInt(100 + round);
      await client.register({ cookie, start: p, end: p + PAGE });
      const subscription = await client.subscribe();
      await s.target.do({ op: 'madvise', addr: p, pages: 1 });
      expect(await subscription.next(5_000)).toMatchObject({ kind: 'invalidation', cookie });
      subscription.cancel();
      await client.unregister(cookie);
    }
  });

  it('subscribe() before Attach rejects with FAILED_PRECONDITION', async () => {
    s = await startSidecar({ attach: false });
    const client = await UmmunotifyClient.connect(s.daemon.socket);
    clients.push(client);
    await expect(client.subscribe()).rejects.toMatchObject({ status: 'FAILED_PRECONDITION' });
  });

  it('two subscribers each see every cookie', async () => {
    await subscribers(2);
  });

  it('fifty subscribers each see every cookie', async () => {
    await subscribers(50);
  });

  it('a subscriber that never reads during 1,000,000 invalidations costs bounded memory and then gets every cookie', { timeout: 600_000 }, async () => {
    s = await startSidecar();
    const pages = 1000;
    const p = await watchedPages(s, pages);
    const slow = await UmmunotifyClient.connect(s.daemon.socket);
    clients.push(slow);
    // Subscribe, take nothing: HTTP/2 flow control stops the daemon's writes.
    const stream = slow.streamEvents();
    const first = stream.next();
    await expect.poll(async () => (await slow.info()).subscribers).toBe(1);
    const daemonPid = s.daemon.process.pid as number;

    await s.target.do({ op: 'madviseLoop', addr: p, pages, rounds: 10 });
    const before = rssKiB(daemonPid);
    await s.target.do({ op: 'madviseLoop', addr: p, pages, rounds: 1000 });
    const after = rssKiB(daemonPid);
    // 990,000 more invalidations: the daemon may not grow with them.
    expect(after - before, `daemon RSS ${before} KiB -> ${after} KiB`).toBeLessThan(32 * 1024);

    const seen = new Set<bigint>();
    for (let r = await first; !r.done; r = await stream.next()) {
      if (r.value.kind === 'invalidation') seen.add(r.value.cookie);
      if (seen.size === pages) break;
    }
    await stream.return(undefined);
    expect(seen.size).toBe(pages);
  });
});
