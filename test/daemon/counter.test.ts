// The counter page: sealed so that only the daemon can change it, read with
// one load, and moved before the target's invalidating syscall returns.

import { afterEach, describe, expect, it } from 'vitest';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import { REQUIRED_SEALS } from '../../clients/node/src/counter.ts';
import { native } from '../../daemon/src/native.ts';
import { startSidecar, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
let s: Sidecar | undefined;

afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('the counter page', () => {
  it('comes sealed against writes, shrinking and growing, and follows the Last reports', async () => {
    s = await startSidecar();
    const o = await UmmunotifyClient.connect(s.daemon.socket);
    await s.target.do({ op: 'counter' });
    const fd = native.receiveFd(s.daemon.counterSocket);
    expect(native.getSeals(fd) & REQUIRED_SEALS).toBe(REQUIRED_SEALS);
    native.close(fd);

    const counter = await o.counter();
    expect(counter.value()).toBe(0n);
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
    await s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + PAGE }] });
    await s.target.do({ op: 'madvise', addr: p, pages: 1 });
    expect(counter.changedSince(0n)).toBe(true);
    const last = (await o.readEvents()).at(-1);
    expect(last).toEqual({ kind: 'last', counter: counter.value() });
    expect(counter.changedSince(counter.value())).toBe(false);
    counter.close();
    o.close();
  });

  it('has always moved when munmap of watched memory returns: 100,000 cycles in the target', { timeout: 600_000 }, async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 1000 });
    const r = await s.target.do<{ stale: number; first: bigint; last: bigint }>({ op: 'counterLoop', addr: p, pages: 1000, cycles: 100_000 });
    expect(r.stale).toBe(0);
    expect(r.last - r.first).toBeGreaterThanOrEqual(100_000n);
  });
});

describe('no deadlock', () => {
  it('one target thread munmaps watched memory while another is inside Register, round after round', { timeout: 120_000 }, async () => {
    s = await startSidecar();
    const registered = await s.target.do<number>({ op: 'racingRegister', rounds: 20_000 });
    expect(registered).toBeGreaterThan(0);
  });
});
