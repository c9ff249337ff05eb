// A registration cache as an MPI library keeps one: (address, length) ->
// registration. Every lookup first checks the counter page (one load, no
// system call); only when it moved does the cache ask the daemon what was
// invalidated, and it evicts exactly those entries.

import type { OpenClient } from '../src/open.ts';
import type { Report } from '../src/reports.ts';

export interface Entry {
  readonly cookie: bigint;
  readonly addr: bigint;
  readonly length: bigint;
}

export class RegistrationCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byCookie = new Map<bigint, string>();
  private nextCookie = 1n;
  private seen: bigint;

  constructor(
    private readonly umn: OpenClient,
    private readonly log: (line: string) => void,
  ) {
    this.seen = umn.counter.value();
  }

  /** The registration for a buffer: the cached one if still valid, else a new one. */
  async lookup(addr: bigint, length: bigint): Promise<Entry> {
    if (this.umn.counter.changedSince(this.seen)) await this.evictInvalidated();
    const key = `${addr}:${length}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.log(`lookup 0x${addr.toString(16)}+${length}: hit, cookie ${hit.cookie}`);
      return hit;
    }
    // A real library registers with the NIC here; we watch the range.
    const entry = { cookie: this.nextCookie++, addr, length };
    await this.umn.client.register({ cookie: entry.cookie, start: addr, end: addr + length });
    this.entries.set(key, entry);
    this.byCookie.set(entry.cookie, key);
    this.log(`lookup 0x${addr.toString(16)}+${length}: miss, registered cookie ${entry.cookie}`);
    return entry;
  }

  private async evictInvalidated(): Promise<void> {
    const reports: Report[] = await this.umn.client.readEvents();
    const stale: bigint[] = [];
    for (const report of reports) {
      if (report.kind === 'last') this.seen = report.counter;
      if (report.kind !== 'invalidation') continue;
      const key = this.byCookie.get(report.cookie);
      if (key === undefined) continue;
      this.entries.delete(key);
      this.byCookie.delete(report.cookie);
      stale.push(report.cookie);
      this.log(`evicted cookie ${report.cookie}: [0x${report.start.toString(16)}, 0x${report.end.toString(16)}) was invalidated (${report.sources.join(', ') || 'cause unknown'})`);
    }
    // The NIC registration would be released here; the daemon forgets the range.
    if (stale.length) await this.umn.client.unregister(stale);
  }

  get size(): number {
    return this.entries.size;
  }
}
