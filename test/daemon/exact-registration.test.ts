// Register is exact on the uffd engine: a range the engine cannot watch
// completely is refused, whatever the batch around it, and every range a
// successful Register accepted is watched from then on. What must never
// happen: Register returns OK and a later invalidation of the range is not
// reported (a silent miss).
//
// The holes here are real: a page unmapped from the middle of a mapping.
// UFFDIO_REGISTER itself accepts a range with a hole and registers only the
// mapped parts, so the daemon must check what the kernel actually watches.

import { describe, expect, it } from 'vitest';
import { eachWithSidecar, type Sidecar } from '../support/target-process.ts';
import { TargetError } from '../support/target-process.ts';

const PAGE = 4096n;
const fixture = eachWithSidecar();

/** Three mapped pages with the middle one unmapped: [p, p+1p) mapped, [p+1p, p+2p) a hole, [p+2p, p+3p) mapped. */
async function mappingWithHole(s: Sidecar): Promise<bigint> {
  const p = await s.target.do<bigint>({ op: 'mmap', pages: 3 });
  await s.target.do({ op: 'munmap', addr: p + PAGE, pages: 1 });
  return p;
}

async function refusal(promise: Promise<unknown>): Promise<TargetError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof TargetError)) throw new Error(`expected the daemon to refuse, got ${String(e)}`);
  return e;
}

async function registrations(s: Sidecar): Promise<bigint> {
  return BigInt((await s.target.do<{ registrations: string }>({ op: 'info' })).registrations);
}

/** munmap of [addr, addr + pages) must be reported for `cookie`, and the counter must have moved before munmap returned. */
async function expectUnmapReported(s: Sidecar, cookie: bigint, addr: bigint, pages: number): Promise<void> {
  const before = await s.target.do<bigint>({ op: 'counter' });
  await s.target.do({ op: 'munmap', addr, pages });
  expect(await s.target.do<bigint>({ op: 'counter' })).toBeGreaterThan(before);
  const reports = await s.target.do<{ kind: string; cookie?: bigint }[]>({ op: 'readEvents' });
  expect(reports.filter((r) => r.kind === 'invalidation').map((r) => r.cookie)).toContain(cookie);
}

describe('uffd engine: Register is exact around holes', () => {
  it('a batch of a mapped page and the hole is refused whole (FAILED_PRECONDITION, EINVAL) and registers nothing', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    const e = await refusal(
      s.target.do({
        op: 'register',
        regs: [
          { cookie: 1n, start: p, end: p + PAGE },
          { cookie: 2n, start: p + PAGE, end: p + 2n * PAGE },
        ],
      }),
    );
    expect(e.status).toBe('FAILED_PRECONDITION');
    expect(e.errnoName).toBe('EINVAL');
    expect(e.message).toMatch(/not mapped/);
    expect(await registrations(s)).toBe(0n);
  });

  it('one range across the hole is refused, and so is one that merely ends in it', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    for (const [start, end] of [
      [p, p + 3n * PAGE],
      [p + 100n, p + PAGE + 1n],
      [p + 2n * PAGE - 1n, p + 2n * PAGE + 1n],
    ] as const) {
      const e = await refusal(s.target.do({ op: 'register', regs: [{ cookie: 1n, start, end }] }));
      expect(e.status).toBe('FAILED_PRECONDITION');
    }
    expect(await registrations(s)).toBe(0n);
  });

  it('a control: both mapped neighbours of the hole are accepted, each alone', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    await s.target.do({
      op: 'register',
      regs: [
        { cookie: 1n, start: p, end: p + PAGE },
        { cookie: 2n, start: p + 2n * PAGE, end: p + 3n * PAGE },
      ],
    });
    expect(await registrations(s)).toBe(2n);
    await expectUnmapReported(s, 2n, p + 2n * PAGE, 1);
  });

  it('memory later mapped into the hole with MAP_FIXED, registered under a new cookie, is watched', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    // The refused attempts must leave nothing behind that makes the daemon
    // believe the hole is already watched.
    await refusal(s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + 3n * PAGE }] }));
    await refusal(
      s.target.do({
        op: 'register',
        regs: [
          { cookie: 1n, start: p, end: p + PAGE },
          { cookie: 2n, start: p + PAGE, end: p + 2n * PAGE },
        ],
      }),
    );
    await s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + PAGE }] });
    await s.target.do({ op: 'mmapFixed', addr: p + PAGE, pages: 1 });
    await s.target.do({ op: 'register', regs: [{ cookie: 3n, start: p + PAGE, end: p + 2n * PAGE }] });
    await expectUnmapReported(s, 3n, p + PAGE, 1);
  });

  it('memory that an ordinary mmap(NULL) places in the hole, registered, is watched', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    await refusal(s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + 3n * PAGE }] }));
    // The kernel hands out the highest free gap that fits: fill the ones
    // above the hole until a one-page mmap(NULL) lands in it.
    const misses: bigint[] = [];
    let landed: bigint | undefined;
    for (let i = 0; i < 4096 && landed === undefined; i++) {
      const q = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
      if (q === p + PAGE) landed = q;
      else misses.push(q);
    }
    for (const q of misses) await s.target.do({ op: 'munmap', addr: q, pages: 1 });
    expect(landed, 'mmap(NULL) never chose the hole').toBe(p + PAGE);
    await s.target.do({ op: 'register', regs: [{ cookie: 4n, start: p + PAGE, end: p + 2n * PAGE }] });
    await expectUnmapReported(s, 4n, p + PAGE, 1);
  });

  it('a read-only shared file mapping that lands in the hole is refused, as everywhere else', async () => {
    const s = fixture.sidecar;
    const p = await mappingWithHole(s);
    await refusal(s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + 3n * PAGE }] }));
    await s.target.do({ op: 'map', kind: 'file', pages: 1, at: p + PAGE, writable: false });
    const e = await refusal(s.target.do({ op: 'register', regs: [{ cookie: 5n, start: p + PAGE, end: p + 2n * PAGE }] }));
    expect(e.status).toBe('FAILED_PRECONDITION');
    expect(e.errnoName).toBe('EPERM');
    expect(await registrations(s)).toBe(0n);
  });
});
