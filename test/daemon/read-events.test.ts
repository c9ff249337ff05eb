// ReadEvents never loses a report: a reply is bounded before reports leave
// the queue, and a client that asks for everything gets everything, over as
// many replies as it takes, with Last only at the end. What must never
// happen: a reply too big for the client's receive limit drains the queue
// and is then refused, losing every report in it.

import { describe, expect, it } from 'vitest';
import type { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { Report } from '../../clients/node/src/reports.ts';
import { eachWithSidecar, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
const PENDING = 200_000;
const fixture = eachWithSidecar();

/** PENDING registrations on one page, then one madvise of it: PENDING reports queued. */
async function queueReports(s: Sidecar, client: UmmunotifyClient): Promise<void> {
  const p = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
  for (let first = 0; first < PENDING; first += 50_000) {
    await client.register(Array.from({ length: 50_000 }, (_, i) => ({ cookie: BigInt(first + i + 1), start: p, end: p + PAGE })));
  }
  await s.target.do({ op: 'madvise', addr: p, pages: 1 });
  expect((await client.info()).pendingReports).toBe(String(PENDING));
}

function cookiesOf(reports: readonly Report[]): Set<bigint> {
  return new Set(reports.flatMap((r) => (r.kind === 'invalidation' ? [r.cookie] : [])));
}

describe('ReadEvents with a deep queue', () => {
  it('with no limit, returns all 200000 reports once each, then Last, and leaves the queue empty', async () => {
    const { sidecar, observer } = fixture;
    await queueReports(sidecar, observer);
    const reports = await observer.readEvents();
    expect(reports).toHaveLength(PENDING + 1);
    expect(cookiesOf(reports).size).toBe(PENDING);
    expect(reports.slice(0, -1).every((r) => r.kind === 'invalidation')).toBe(true);
    expect(reports.at(-1)?.kind).toBe('last');
    expect(await observer.readEvents()).toEqual([]);
    expect((await observer.info()).pendingReports).toBe('0');
  });

  it('one reply holds at most max_reports_per_read reports and leaves the rest queued (the control: paging is real)', async () => {
    const { sidecar, observer } = fixture;
    await queueReports(sidecar, observer);
    const perRead = (await observer.info()).maxReportsPerRead;
    expect(perRead).toBeGreaterThan(0);
    expect(perRead).toBeLessThan(PENDING);
    // A limit is one reply: the largest uint32, which the daemon takes.
    const first = await observer.readEvents(0xffff_ffff);
    expect(first).toHaveLength(perRead);
    expect(first.every((r) => r.kind === 'invalidation')).toBe(true);
    expect((await observer.info()).pendingReports).toBe(String(PENDING - perRead));
    const rest = await observer.readEvents();
    expect(rest.at(-1)?.kind).toBe('last');
    expect(cookiesOf([...first, ...rest]).size).toBe(PENDING);
  });
});
