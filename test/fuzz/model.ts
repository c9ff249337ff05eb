// The fuzzer's reference model: what the contract (the UAPI header, the
// proto, docs/semantics.md) says a daemon must report, written without
// looking at how either engine does it. Pure: no I/O.
//
// It follows the target's memory page by page, the registrations, and for
// the ReadEvents queue and each stream what has hit each registration since
// it was last reported. A hit is `must` when the contract promises a report
// (a watched page was invalidated) and `may` when an engine is allowed one
// (the kernel's invalidation covered the registration's bytes without
// touching a page the contract says is watched). A report nothing could
// have caused, a missing `must` report, a wrong HINT or range, a counter
// that did not move, and a call that succeeds or fails against the rules
// are all problems.

export type EngineKind = 'uffd' | 'device';
export type MappingKind = 'anon' | 'shared' | 'file-rw' | 'file-ro' | 'file-private' | 'heap';
export type Source = 'unmap' | 'madvise' | 'mremap' | 'fork';
export type Advice = 'dontneed' | 'free';

/** What GetInfo says the engine can do, and facts of the target's machine. */
export interface Capabilities {
  readonly engine: EngineKind;
  /** GetInfo.watchable_mappings, by proto name (MAPPING_TYPE_ANONYMOUS, ...). */
  readonly watchable: ReadonlySet<string>;
  /** uffd: GetInfo.sources has EVENT_SOURCE_FORK (the daemon may take fork events). */
  readonly forkEvents: boolean;
  /** The target's files are on tmpfs, which the kernel treats as shmem. */
  readonly filesOnTmpfs: boolean;
  readonly maxRegistrations: number;
  readonly page: bigint;
  /** The end of user space (x86-64: 0x7ffffffff000). */
  readonly userEnd: bigint;
}

export interface Registration {
  readonly cookie: bigint;
  readonly start: bigint;
  readonly end: bigint;
}

/** A report as a client hands it over. */
export type Report =
  | { readonly kind: 'invalidation'; readonly cookie: bigint; readonly hint: boolean; readonly start: bigint; readonly end: bigint; readonly sources: readonly string[] }
  | { readonly kind: 'last'; readonly counter: bigint }
  | { readonly kind: 'targetExited'; readonly pid: number };

interface Page {
  kind: MappingKind;
  /** Holds a page of its own (an anonymous copy for private mappings); 'unknown' after MADV_FREE. */
  populated: boolean | 'unknown';
  /** A fork may have left the page shared copy-on-write: a write may copy it. */
  cowShared: boolean;
}

interface Hit {
  readonly must: boolean;
  readonly start: bigint;
  readonly end: bigint;
  readonly source: Source;
  /** The kernel invalidates this registration exactly once for it, over exactly [start, end). */
  readonly exact: boolean;
}

interface Held extends Registration {
  /** uffd: the pages the kernel watches for it (mapped when registered, not unmapped since). */
  readonly watched: Set<number>;
}

type Queue = Map<bigint, Hit[]>;

/** A call's predicted outcome: success, or one of these gRPC status names. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly codes: ReadonlySet<string> };

const PMD_PAGES = 512;

export class Model {
  private readonly pages = new Map<number, Page>();
  private readonly regs = new Map<bigint, Held>();
  private readonly readQueue: Queue = new Map();
  private readonly streams = new Map<number, Queue>();
  /** The heap pages the target grew with brk, [start, end) in pages. */
  private heap: { start: number; end: number } | undefined;

  constructor(readonly caps: Capabilities) {}

  // ---- what the model knows, for the fuzzer's choices ----------------------

  pageOf(addr: bigint): number {
    return Number(addr / this.caps.page);
  }

  private addrOf(page: number): bigint {
    return BigInt(page) * this.caps.page;
  }

  kindAt(addr: bigint): MappingKind | undefined {
    return this.pages.get(this.pageOf(addr))?.kind;
  }

  isMapped(addr: bigint): boolean {
    return this.pages.has(this.pageOf(addr));
  }

  /** The mapped pages, by address. */
  mappedPages(): readonly bigint[] {
    return [...this.pages.keys()].sort((a, b) => a - b).map((p) => this.addrOf(p));
  }

  registered(): readonly bigint[] {
    return [...this.regs.keys()];
  }

  registration(cookie: bigint): Registration | undefined {
    return this.regs.get(cookie);
  }

  heapRange(): { start: bigint; end: bigint } | undefined {
    return this.heap && { start: this.addrOf(this.heap.start), end: this.addrOf(this.heap.end) };
  }

  openStreams(): readonly number[] {
    return [...this.streams.keys()];
  }

  // ---- memory: each returns whether some registration must be reported ----

  /** mmap(MAP_FIXED) of [addr, addr + n pages): what was there is unmapped first. */
  map(kind: MappingKind, addr: bigint, n: number): boolean {
    const first = this.pageOf(addr);
    const must = this.unmapRange(first, first + n, 'unmap');
    for (let p = first; p < first + n; p++) this.pages.set(p, { kind, populated: kind !== 'file-ro', cowShared: false });
    return must;
  }

  munmap(addr: bigint, n: number): boolean {
    const first = this.pageOf(addr);
    return this.unmapRange(first, first + n, 'unmap');
  }

  /** madvise over [addr, addr + n pages): each mapped page is invalidated, VMA by VMA. */
  madvise(addr: bigint, n: number, advice: Advice): boolean {
    const first = this.pageOf(addr);
    const mapped = this.mappedIn(first, first + n);
    if (mapped.length === 0) return false;
    const watchedHere = (r: Held) => this.regPages(r, first, first + n).filter((p) => this.pages.has(p) && this.isWatchedFor(r, p));
    // One invalidation per VMA: where the VMAs lie is the kernel's business, so the hint range is not known exactly.
    const must = this.hit(first, first + n, 'madvise', false, (r) => watchedHere(r).length > 0);
    for (const p of mapped) {
      const page = this.pages.get(p) as Page;
      if (advice === 'free') page.populated = 'unknown';
      else if (isPrivate(page.kind)) page.populated = false;
    }
    return must;
  }

  /** mremap shrinking [addr, addr + from pages) in place to `to` pages: the tail is unmapped. */
  mremapShrink(addr: bigint, from: number, to: number): boolean {
    const first = this.pageOf(addr);
    return this.unmapRange(first + to, first + from, 'unmap');
  }

  /** mremap growing in place: new pages of the same kind, touched; nothing is invalidated. */
  mremapGrow(addr: bigint, from: number, to: number): boolean {
    const first = this.pageOf(addr);
    const kind = (this.pages.get(first) as Page).kind;
    for (let p = first + from; p < first + to; p++) this.pages.set(p, { kind, populated: kind !== 'file-ro', cowShared: false });
    return false;
  }

  /** mremap moving n pages from addr to dest (MREMAP_FIXED): dest is unmapped first, then the old range moves away. */
  mremapMove(addr: bigint, n: number, dest: bigint): boolean {
    const from = this.pageOf(addr);
    const to = this.pageOf(dest);
    const moved = Array.from({ length: n }, (_, i) => ({ ...(this.pages.get(from + i) as Page) }));
    let must = this.unmapRange(to, to + n, 'unmap');
    // The old range is invalidated twice (moved, then unmapped): never exact.
    must = this.hit(from, from + n, 'mremap', false, (r) => this.regPages(r, from, from + n).some((p) => this.isWatchedFor(r, p))) || must;
    this.forget(from, from + n);
    moved.forEach((page, i) => this.pages.set(to + i, page));
    return must;
  }

  brkGrow(start: bigint, end: bigint): boolean {
    const first = this.pageOf(start);
    const last = this.pageOf(end);
    for (let p = first; p < last; p++) this.pages.set(p, { kind: 'heap', populated: true, cowShared: false });
    this.heap = { start: this.heap?.start ?? first, end: last };
    return false;
  }

  brkShrink(start: bigint, end: bigint): boolean {
    const first = this.pageOf(start);
    const must = this.unmapRange(first, this.pageOf(end), 'unmap');
    if (this.heap) this.heap = { start: this.heap.start, end: first };
    // The heap VMA may span a whole 2 MiB block: moving its end splits the
    // block's page-table entry, which invalidates all of it (UAPI header).
    if (this.caps.engine === 'device') this.pmdSplit(first);
    return must;
  }

  /**
   * fork(); the parent writes a byte at `writeAt` (if given) while the child
   * lives, then the child exits. uffd: every private writable mapping is
   * invalidated at fork (when the daemon may take fork events). Device: the
   * write copies a page that fork shared, and that copy is the invalidation.
   */
  fork(writeAt: bigint | undefined): boolean {
    let must = false;
    if (this.caps.engine === 'uffd') {
      if (this.caps.forkEvents) {
        const privatePages = (r: Held) => this.regPages(r, this.pageOf(r.start), this.pageOf(r.end - 1n) + 1).filter((p) => isPrivateWritable(this.pages.get(p)?.kind));
        for (const r of this.regs.values()) {
          const pages = privatePages(r);
          if (pages.length === 0) continue;
          const isMust = pages.some((p) => this.isWatchedFor(r, p));
          this.record(r, { must: isMust, start: r.start, end: r.end, source: 'fork', exact: false });
          must ||= isMust;
        }
      }
      if (writeAt !== undefined) this.touchPage(this.pageOf(writeAt));
      return must;
    }
    // Every private page with content is shared with the child now. Once the
    // child has exited they are the parent's alone again, but a reference
    // may linger (an LRU batch) and make a later write copy: that one is may.
    for (const page of this.pages.values()) if (isPrivateWritable(page.kind) && page.populated !== false) page.cowShared = true;
    if (writeAt !== undefined) must = this.write(writeAt, true);
    return must;
  }

  /** A write of one byte. Device: writing a page a fork shared copies it, an invalidation of that page. */
  write(addr: bigint, childAlive = false): boolean {
    const p = this.pageOf(addr);
    const page = this.pages.get(p);
    if (page === undefined) throw new Error(`model: write to unmapped ${hex(addr)}`);
    let must = false;
    if (this.caps.engine === 'device' && page.cowShared && isPrivateWritable(page.kind)) {
      // Certain only while the child lives and the page had content of its own.
      const certain = childAlive && page.populated === true;
      must = this.hit(p, p + 1, 'fork', true, () => certain);
    }
    this.touchPage(p);
    return must;
  }

  private touchPage(p: number): void {
    const page = this.pages.get(p);
    if (page === undefined) return;
    page.populated = true;
    page.cowShared = false;
  }

  // ---- registrations ------------------------------------------------------

  /** Register's outcome by the contract: validation first, then the cap, then what the engine can watch. */
  registerOutcome(batch: readonly Registration[]): Outcome {
    const invalid = new Set<string>();
    const seen = new Set<bigint>();
    for (const r of batch) {
      if (r.start >= r.end || r.end > this.caps.userEnd) invalid.add('INVALID_ARGUMENT');
      if (seen.has(r.cookie)) invalid.add('INVALID_ARGUMENT');
      seen.add(r.cookie);
      if (this.regs.has(r.cookie)) invalid.add('ALREADY_EXISTS');
    }
    const overCap = this.regs.size + batch.length > this.caps.maxRegistrations;
    if (invalid.size > 0) return { ok: false, codes: overCap ? new Set([...invalid, 'RESOURCE_EXHAUSTED']) : invalid };
    const unwatchable = this.caps.engine === 'uffd' && batch.some((r) => !this.uffdCanWatch(r));
    if (overCap) return { ok: false, codes: new Set(unwatchable ? ['RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION'] : ['RESOURCE_EXHAUSTED']) };
    if (unwatchable) return { ok: false, codes: new Set(['FAILED_PRECONDITION']) };
    return { ok: true };
  }

  register(batch: readonly Registration[]): void {
    for (const r of batch) {
      const watched = new Set<number>();
      if (this.caps.engine === 'uffd') for (const p of this.regPages(r)) watched.add(p);
      this.regs.set(r.cookie, { ...r, watched });
    }
  }

  unregisterOutcome(cookies: readonly bigint[]): Outcome {
    const codes = new Set<string>();
    if (new Set(cookies).size !== cookies.length) codes.add('INVALID_ARGUMENT');
    if (cookies.some((c) => !this.regs.has(c))) codes.add('NOT_FOUND');
    return codes.size === 0 ? { ok: true } : { ok: false, codes };
  }

  unregister(cookies: readonly bigint[]): void {
    for (const c of cookies) {
      this.regs.delete(c);
      this.readQueue.delete(c);
      for (const q of this.streams.values()) q.delete(c);
    }
  }

  private uffdCanWatch(r: Registration): boolean {
    return this.regPages(r).every((p) => {
      const page = this.pages.get(p);
      return page !== undefined && page.kind !== 'file-ro' && this.caps.watchable.has(this.mappingType(page.kind));
    });
  }

  private mappingType(kind: MappingKind): string {
    if (kind === 'anon' || kind === 'heap') return 'MAPPING_TYPE_ANONYMOUS';
    if (kind === 'shared') return 'MAPPING_TYPE_SHMEM';
    return this.caps.filesOnTmpfs ? 'MAPPING_TYPE_SHMEM' : 'MAPPING_TYPE_FILE';
  }

  // ---- reports --------------------------------------------------------------

  openStream(id: number): void {
    this.streams.set(id, new Map());
  }

  closeStream(id: number): void {
    this.streams.delete(id);
  }

  /**
   * What hit `cookie` since its last report, if every hit was a `must`, in a
   * form two engines can compare (ranges relative to the registration); else
   * undefined. Two engines with equal signatures must report alike.
   */
  signature(cookie: bigint): string | undefined {
    const hits = this.readQueue.get(cookie);
    const reg = this.regs.get(cookie);
    if (hits === undefined || reg === undefined || hits.some((h) => !h.must)) return undefined;
    return hits.map((h) => `${h.exact ? 'exact' : 'loose'} ${h.start - reg.start}-${h.end - reg.start}`).join('; ');
  }

  pendingCookies(): readonly bigint[] {
    return [...this.readQueue.keys()];
  }

  pending(): { must: number; any: number } {
    let must = 0;
    for (const hits of this.readQueue.values()) if (hits.some((h) => h.must)) must++;
    return { must, any: this.readQueue.size };
  }

  /**
   * Checks what a ReadEvents (max 0: the client's read-all, which asks
   * until Last) returned, and takes it off the model's queue. `counter` is
   * the counter page read right after.
   */
  checkRead(reports: readonly Report[], max: number, counter: bigint): string[] {
    const problems: string[] = [];
    const invals = reports.filter((r) => r.kind === 'invalidation');
    const lastAt = reports.findIndex((r) => r.kind === 'last');
    if (max > 0 && reports.length > max) problems.push(`ReadEvents(max ${max}) returned ${reports.length} reports`);
    if (lastAt >= 0 && lastAt !== reports.length - 1) problems.push('Last is not the last report');
    if (reports.some((r) => r.kind === 'targetExited')) problems.push('TargetExited while the target lives');
    const last = lastAt >= 0 ? reports[lastAt] : undefined;
    if (last?.kind === 'last' && last.counter !== counter) problems.push(`Last carries counter ${last.counter}, the page says ${counter}`);
    problems.push(...this.take(this.readQueue, invals, 'ReadEvents'));
    // The queue is empty once Last came, or when a read-all found nothing.
    const drained = last !== undefined || (max === 0 && reports.length === 0) || (max > 0 && reports.length === 0);
    if (max > 0 && invals.length > 0 && invals.length < max && last === undefined) problems.push(`ReadEvents(max ${max}) returned ${invals.length} invalidations and no Last: the queue emptied, so Last was owed`);
    if (drained) problems.push(...this.settle(this.readQueue, 'ReadEvents'));
    return problems;
  }

  /**
   * Checks reports a stream handed over, up to and including a sentinel that
   * settles everything hit before it. A stream sends as things happen, so a
   * registration hit twice between two drains may come as two reports where
   * a read would have had one: they are merged first, as the daemon's queue
   * would have coalesced them (no HINT, the whole registration).
   */
  checkStream(id: number, reports: readonly Report[]): string[] {
    const queue = this.streams.get(id);
    if (queue === undefined) return [`stream ${id} is not open`];
    const problems: string[] = [];
    if (reports.some((r) => r.kind !== 'invalidation')) problems.push(`stream ${id} handed over a ${reports.find((r) => r.kind !== 'invalidation')?.kind} report`);
    const merged = new Map<bigint, Extract<Report, { kind: 'invalidation' }>>();
    for (const r of reports) {
      if (r.kind !== 'invalidation') continue;
      const before = merged.get(r.cookie);
      const reg = this.regs.get(r.cookie);
      if (before === undefined || reg === undefined) {
        merged.set(r.cookie, r);
        continue;
      }
      if (r.hint && !(r.start >= reg.start && r.end <= reg.end && r.start < r.end)) problems.push(`stream ${id}: cookie ${r.cookie}: HINT range [${hex(r.start)}, ${hex(r.end)}) outside the registration`);
      const sources = [...before.sources, ...r.sources.filter((s) => !before.sources.includes(s))];
      merged.set(r.cookie, { kind: 'invalidation', cookie: r.cookie, hint: false, start: reg.start, end: reg.end, sources });
    }
    problems.push(...this.take(queue, [...merged.values()], `stream ${id}`));
    problems.push(...this.settle(queue, `stream ${id}`));
    return problems;
  }

  /** GetInfo's counts against the model. */
  checkInfo(info: { registrations: bigint; pendingReports: bigint; subscribers: number; counter: bigint }, counter: bigint): string[] {
    const problems: string[] = [];
    if (info.registrations !== BigInt(this.regs.size)) problems.push(`GetInfo: ${info.registrations} registrations, the model holds ${this.regs.size}`);
    const { must, any } = this.pending();
    if (info.pendingReports < BigInt(must) || info.pendingReports > BigInt(any)) problems.push(`GetInfo: ${info.pendingReports} pending reports, the model says ${must} to ${any}`);
    if (info.counter !== counter) problems.push(`GetInfo: counter ${info.counter}, the page says ${counter}`);
    return problems;
  }

  private take(queue: Queue, invals: readonly Report[], where: string): string[] {
    const problems: string[] = [];
    const seen = new Set<bigint>();
    for (const r of invals) {
      if (r.kind !== 'invalidation') continue;
      const name = `${where}: cookie ${r.cookie}`;
      if (seen.has(r.cookie)) problems.push(`${name} reported twice in one read`);
      seen.add(r.cookie);
      const reg = this.regs.get(r.cookie);
      const hits = queue.get(r.cookie);
      if (reg === undefined) {
        problems.push(`${name} reported, but it is not registered`);
        continue;
      }
      if (hits === undefined) {
        problems.push(`${name} [${hex(reg.start)}, ${hex(reg.end)}) reported, but nothing invalidated it`);
        continue;
      }
      problems.push(...checkHint(name, reg, hits, r));
      problems.push(...this.checkSources(name, hits, r.sources));
      queue.delete(r.cookie);
    }
    return problems;
  }

  /** The queue is known to be empty: every `must` hit left is a report that never came. */
  private settle(queue: Queue, where: string): string[] {
    const problems: string[] = [];
    for (const [cookie, hits] of queue) {
      const must = hits.filter((h) => h.must);
      if (must.length > 0) {
        const reg = this.regs.get(cookie) as Held;
        problems.push(
          `${where}: SILENT MISS: cookie ${cookie} [${hex(reg.start)}, ${hex(reg.end)}) was invalidated (${must.map((h) => `${h.source} [${hex(h.start)}, ${hex(h.end)})`).join(', ')}) and never reported`,
        );
      }
    }
    queue.clear();
    return problems;
  }

  private checkSources(name: string, hits: readonly Hit[], sources: readonly string[]): string[] {
    if (this.caps.engine === 'device') return sources.length === 0 ? [] : [`${name}: the device engine reported causes (${sources.join(',')}); it knows none`];
    const allowed = new Set(hits.map((h) => h.source));
    const required = new Set(hits.filter((h) => h.must).map((h) => h.source));
    const problems: string[] = [];
    for (const s of sources) if (!allowed.has(s as Source)) problems.push(`${name}: source ${s} reported, but only ${[...allowed].join(',')} hit it`);
    for (const s of required) if (!sources.includes(s)) problems.push(`${name}: source ${s} hit it and is missing from [${sources.join(',')}]`);
    return problems;
  }

  // ---- how a change of memory hits registrations ----------------------------

  /** Unmaps [first, last) pages: one invalidation of the whole range, if anything there was mapped. */
  private unmapRange(first: number, last: number, source: Source): boolean {
    const mapped = this.mappedIn(first, last);
    if (mapped.length === 0) return false;
    // With a hole inside, where the kernel's range ends is its own business.
    const exact = mapped.length === last - first;
    const must = this.hit(first, last, source, exact, (r) => this.regPages(r, first, last).some((p) => this.pages.has(p) && this.isWatchedFor(r, p)));
    this.forget(first, last);
    return must;
  }

  /** The page is gone: no registration watches it any more on uffd. */
  private forget(first: number, last: number): void {
    for (let p = first; p < last; p++) this.pages.delete(p);
    for (const r of this.regs.values()) for (let p = first; p < last; p++) r.watched.delete(p);
  }

  /**
   * Records an invalidation of the bytes [first, last) pages on every
   * registration it overlaps: `must` where isMust says so, else `may`.
   * Returns whether any was `must`.
   */
  private hit(first: number, last: number, source: Source, exact: boolean, isMust: (r: Held) => boolean): boolean {
    const a = this.addrOf(first);
    const b = this.addrOf(last);
    let any = false;
    for (const r of this.regs.values()) {
      if (r.end <= a || r.start >= b) continue;
      const must = isMust(r);
      this.record(r, { must, start: max(a, r.start), end: min(b, r.end), source, exact });
      any ||= must;
    }
    return any;
  }

  /** Device: a 2 MiB page-table entry split around `page` may invalidate the whole block. */
  private pmdSplit(page: number): void {
    const first = page - (page % PMD_PAGES);
    this.hit(first, first + PMD_PAGES, 'unmap', false, () => false);
  }

  private record(r: Held, hit: Hit): void {
    for (const q of [this.readQueue, ...this.streams.values()]) {
      const hits = q.get(r.cookie);
      if (hits) hits.push(hit);
      else q.set(r.cookie, [hit]);
    }
  }

  private isWatchedFor(r: Held, p: number): boolean {
    return this.caps.engine === 'device' ? true : r.watched.has(p);
  }

  private regPages(r: Registration, first = -Infinity, last = Infinity): number[] {
    const out: number[] = [];
    const lo = Math.max(this.pageOf(r.start), first);
    const hi = Math.min(this.pageOf(r.end - 1n) + 1, last);
    for (let p = lo; p < hi; p++) out.push(p);
    return out;
  }

  private mappedIn(first: number, last: number): number[] {
    const out: number[] = [];
    for (let p = first; p < last; p++) if (this.pages.has(p)) out.push(p);
    return out;
  }
}

/**
 * HINT by the UAPI: exactly one invalidation since the last report gives
 * HINT and that invalidation clipped to the registration; more give no HINT
 * and the whole registration.
 */
function checkHint(name: string, reg: Registration, hits: readonly Hit[], r: Extract<Report, { kind: 'invalidation' }>): string[] {
  const got = `${r.hint ? 'HINT ' : ''}[${hex(r.start)}, ${hex(r.end)})`;
  const only = hits.length === 1 ? hits[0] : undefined;
  if (only?.must && only.exact) {
    return r.hint && r.start === only.start && r.end === only.end ? [] : [`${name}: one invalidation, [${hex(only.start)}, ${hex(only.end)}), so HINT and that range; got ${got}`];
  }
  if (hits.filter((h) => h.must).length >= 2 && r.hint) return [`${name}: invalidated by ${hits.filter((h) => h.must).length} operations, so no HINT; got ${got}`];
  if (!r.hint) return r.start === reg.start && r.end === reg.end ? [] : [`${name}: no HINT must carry the whole registration [${hex(reg.start)}, ${hex(reg.end)}); got ${got}`];
  const inside = r.start < r.end && r.start >= reg.start && r.end <= reg.end && hits.some((h) => r.start >= h.start && r.end <= h.end);
  return inside ? [] : [`${name}: HINT range ${got} is not within one invalidation that hit it (${hits.map((h) => `[${hex(h.start)}, ${hex(h.end)})`).join(', ')})`];
}

function isPrivate(kind: MappingKind): boolean {
  return kind === 'anon' || kind === 'heap' || kind === 'file-private';
}

function isPrivateWritable(kind: MappingKind | undefined): boolean {
  return kind !== undefined && isPrivate(kind);
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}
