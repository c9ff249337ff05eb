// One engine under test: a real target process, a real daemon on its socket,
// the Node client's connection, the mapped counter page, up to two streams,
// and the reference model of what all of it must do. Every step runs on the
// real system and is checked against the model.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { Counter } from '../../clients/node/src/counter.ts';
import { UmmunotifyError } from '../../clients/node/src/errors.ts';
import type { Report } from '../../clients/node/src/reports.ts';
import { spawnDaemon, type SpawnedDaemon } from '../../clients/node/src/spawn.ts';
import type { Subscription } from '../../clients/node/src/subscription.ts';
import { Model, hex, type Capabilities, type EngineKind, type Outcome, type Registration } from './model.ts';
import { FuzzTarget } from './target.ts';

/** The address space the fuzzer plays in: inside one 2 MiB block, so that no VMA of ours ever spans a whole one. */
export const BLOCK = 0x1000_0000_0000n;
export const SENTINEL_PAGE = 32n;
/** Never mapped: where a registration meant for a heap that does not exist goes. */
export const HOLE_PAGE = 8n;
export const ARENA_FIRST_PAGE = 64n;
export const ARENA_PAGES = 40;
const USER_END = 0x7fff_ffff_f000n;

export class FuzzFailure extends Error {}

/** What the fuzzer exercised, so that a pass can be told from a fuzzer that did nothing. */
export class FuzzStats {
  readonly ops = new Map<string, number>();
  registered = 0;
  refused = 0;
  reports = 0;
  mustHits = 0;
  /** Reports the two engines were compared on (hit the same way in both). */
  compared = 0;

  count(what: string): void {
    this.ops.set(what, (this.ops.get(what) ?? 0) + 1);
  }

  toString(): string {
    const ops = [...this.ops].sort().map(([k, v]) => `${k} ${v}`).join(', ');
    const compared = this.compared > 0 ? `; reports the engines agreed on ${this.compared}` : '';
    return `${ops}; registrations accepted ${this.registered}, refused ${this.refused}; reports checked ${this.reports}; operations that had to be reported ${this.mustHits}${compared}`;
  }
}

export interface LaneOptions {
  readonly engine: EngineKind;
  readonly maxRegistrations: number;
  /** Where the target makes its files. */
  readonly fileDir: string;
  /** The daemon's environment (the fuzzer's self-test loads a broken engine this way). */
  readonly daemonEnv?: NodeJS.ProcessEnv;
  readonly stats: FuzzStats;
  /** How long a stream may take to deliver (longer under emulation). */
  readonly streamTimeoutMs: number;
}

/** A memory operation on the target, with addresses already resolved for this lane. */
export type MemoryOp =
  | { readonly op: 'map'; readonly kind: 'anon' | 'shared' | 'file-rw' | 'file-ro' | 'file-private'; readonly addr: bigint; readonly pages: number }
  | { readonly op: 'munmap'; readonly addr: bigint; readonly pages: number }
  | { readonly op: 'madvise'; readonly addr: bigint; readonly pages: number; readonly advice: 'dontneed' | 'free' }
  | { readonly op: 'mremap'; readonly addr: bigint; readonly from: number; readonly to: number; readonly dest?: bigint }
  | { readonly op: 'brk-grow'; readonly pages: number }
  | { readonly op: 'brk-shrink'; readonly pages: number }
  | { readonly op: 'fork'; readonly writeAt?: bigint }
  | { readonly op: 'write'; readonly addr: bigint };

export class Lane {
  /** Replaced by reset(): each fuzz run starts from a fresh model. */
  model: Model;
  private readonly streams = new Map<number, Subscription>();
  private sentinels = 0;

  private constructor(
    readonly options: LaneOptions,
    readonly target: FuzzTarget,
    private readonly daemon: SpawnedDaemon,
    private readonly dir: string,
    readonly client: UmmunotifyClient,
    private readonly counter: Counter,
    readonly caps: Capabilities,
  ) {
    this.model = new Model(caps);
  }

  static async start(options: LaneOptions): Promise<Lane> {
    const dir = mkdtempSync(join(tmpdir(), 'umn-fuzz-'));
    const target = await FuzzTarget.start(options.fileDir);
    let daemon: SpawnedDaemon | undefined;
    try {
      daemon = await spawnDaemon(
        target.pid,
        ['--socket', join(dir, 'd.sock'), '--log-level', 'warn', '--exit-grace-ms', '100', '--max-registrations', String(options.maxRegistrations)],
        options.daemonEnv === undefined ? {} : { env: options.daemonEnv },
      );
      await target.must(`attach ${daemon.socket} ${options.engine}`);
      const client = await UmmunotifyClient.connect(daemon.socket);
      const info = await client.info();
      const want = options.engine === 'uffd' ? 'ENGINE_UFFD' : 'ENGINE_DEVICE';
      if (info.engine !== want) throw new Error(`the daemon attached ${info.engine}, not ${want}`);
      const caps: Capabilities = {
        engine: options.engine,
        watchable: new Set(info.watchableMappings),
        forkEvents: info.sources.includes('EVENT_SOURCE_FORK'),
        filesOnTmpfs: target.hello.filesOnTmpfs,
        maxRegistrations: options.maxRegistrations,
        page: target.hello.page,
        userEnd: USER_END,
      };
      checkDocumentedBlindSpots(caps, info.blindSpots);
      const lane = new Lane(options, target, daemon, dir, client, await client.counter(), caps);
      await lane.mapSentinel();
      return lane;
    } catch (e) {
      await target.kill();
      await daemon?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get engine(): EngineKind {
    return this.options.engine;
  }

  page(n: bigint): bigint {
    return BLOCK + n * this.caps.page;
  }

  arenaPage(i: number): bigint {
    return this.page(ARENA_FIRST_PAGE + BigInt(i));
  }

  private async mapSentinel(): Promise<void> {
    await this.target.must(`map anon ${this.page(SENTINEL_PAGE).toString(16)} 1`);
    this.model.map('anon', this.page(SENTINEL_PAGE), 1);
  }

  /** Back to an empty arena, no registrations, nothing pending, no streams; a fresh model. */
  async reset(): Promise<void> {
    for (const id of [...this.streams.keys()]) this.closeStream(id);
    const held = this.model.registered();
    if (held.length > 0) await this.client.unregister(held);
    await this.target.must(`munmap ${this.arenaPage(-8).toString(16)} ${ARENA_PAGES + 16}`);
    const heap = this.model.heapRange();
    if (heap && heap.end > heap.start) await this.target.must(`brk-shrink ${(heap.end - heap.start) / this.caps.page}`);
    await this.client.readEvents();
    const info = await this.client.info();
    if (info.registrations !== '0' || info.pendingReports !== '0') {
      throw new Error(`reset left ${info.registrations} registrations and ${info.pendingReports} pending reports`);
    }
    this.model = new Model(this.caps);
    this.model.map('anon', this.page(SENTINEL_PAGE), 1);
    // The heap keeps its base: brk-grow continues from the break.
    if (heap) this.model.brkGrow(heap.start, heap.start);
  }

  async close(): Promise<void> {
    for (const id of [...this.streams.keys()]) this.closeStream(id);
    this.counter.close();
    this.client.close();
    await this.target.kill();
    await this.daemon.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- steps ----------------------------------------------------------------

  /** Whether the target would run `op` (mremap and brk-shrink depend on the VMAs). */
  async feasible(op: MemoryOp): Promise<boolean> {
    if (op.op !== 'mremap' && op.op !== 'brk-shrink') return true;
    return (await this.target.do(`probe ${command(op)}`)).kind === 'ok';
  }

  /** Runs a memory operation and checks the counter moved before it returned, if it had to. */
  async memory(op: MemoryOp): Promise<void> {
    const before = this.counter.value();
    const answer = await this.target.do(command(op));
    const after = this.counter.value();
    if (answer.kind === 'skip') throw new FuzzFailure(`${this.engine}: ${command(op)} was skipped after its probe passed: ${answer.why}`);
    if (answer.kind === 'err' && !(op.op === 'madvise' && answer.errno === 'ENOMEM')) {
      throw new FuzzFailure(`${this.engine}: ${command(op)} failed in the target: ${answer.errno} ${answer.what}`);
    }
    const must = this.applyToModel(op, answer.kind === 'ok' ? answer.values : []);
    this.options.stats.count(op.op);
    if (must) this.options.stats.mustHits++;
    if (after < before) throw new FuzzFailure(`${this.engine}: the counter went back from ${before} to ${after} over ${command(op)}`);
    if (must && after === before) {
      throw new FuzzFailure(`${this.engine}: ${command(op)} invalidated a watched range, but the counter had not moved when it returned (${before})`);
    }
  }

  private applyToModel(op: MemoryOp, values: readonly string[]): boolean {
    const m = this.model;
    switch (op.op) {
      case 'map':
        return m.map(op.kind, op.addr, op.pages);
      case 'munmap':
        return m.munmap(op.addr, op.pages);
      case 'madvise':
        return m.madvise(op.addr, op.pages, op.advice);
      case 'mremap':
        if (op.dest !== undefined) return m.mremapMove(op.addr, op.from, op.dest);
        return op.to < op.from ? m.mremapShrink(op.addr, op.from, op.to) : m.mremapGrow(op.addr, op.from, op.to);
      case 'brk-grow':
        return m.brkGrow(BigInt(`0x${values[0]}`), BigInt(`0x${values[1]}`));
      case 'brk-shrink':
        return m.brkShrink(BigInt(`0x${values[0]}`), BigInt(`0x${values[1]}`));
      case 'fork':
        return m.fork(op.writeAt);
      case 'write':
        return m.write(op.addr);
    }
  }

  async register(batch: readonly Registration[]): Promise<void> {
    const expected = this.model.registerOutcome(batch);
    const outcome = await this.attempt(() => this.client.register(batch));
    this.checkOutcome(`Register ${describeBatch(batch)}`, expected, outcome);
    if (outcome === undefined) this.model.register(batch);
    if (outcome === undefined) this.options.stats.registered += batch.length;
    else this.options.stats.refused++;
  }

  async unregister(cookies: readonly bigint[]): Promise<void> {
    const expected = this.model.unregisterOutcome(cookies);
    const outcome = await this.attempt(() => this.client.unregister(cookies));
    this.checkOutcome(`Unregister [${cookies.join(', ')}]`, expected, outcome);
    if (outcome === undefined) this.model.unregister(cookies);
  }

  /** ReadEvents (0: the client's read-all); returns what came, for the engines' comparison. */
  async read(max: number): Promise<readonly Report[]> {
    const reports = await this.client.readEvents(max);
    this.options.stats.reports += reports.length;
    this.fail(this.model.checkRead(reports, max, this.counter.value()));
    return reports;
  }

  async info(): Promise<void> {
    const i = await this.client.info();
    this.fail(
      this.model.checkInfo(
        { registrations: BigInt(i.registrations), pendingReports: BigInt(i.pendingReports), subscribers: i.subscribers, counter: BigInt(i.counter) },
        this.counter.value(),
      ),
    );
  }

  /** A new subscription, in place when this returns (the contract's first message came). */
  async openStream(id: number): Promise<void> {
    if (this.streams.has(id)) return;
    this.streams.set(id, await this.client.subscribe());
    this.model.openStream(id);
  }

  closeStream(id: number): void {
    this.streams.get(id)?.cancel();
    this.streams.delete(id);
    this.model.closeStream(id);
  }

  /**
   * Takes everything stream `id` has to deliver: a fresh sentinel
   * registration is hit last, and the stream hands reports over in the
   * order registrations were first hit, so once the sentinel's report is
   * here, every report owed before it must be too.
   */
  async drainStream(id: number): Promise<void> {
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    const cookie = 1_000_000n + BigInt(this.sentinels++);
    const page = this.page(SENTINEL_PAGE);
    await this.register([{ cookie, start: page, end: page + this.caps.page }]);
    await this.memory({ op: 'madvise', addr: page, pages: 1, advice: 'dontneed' });
    const got: Report[] = [];
    for (;;) {
      const report = await stream.next(this.options.streamTimeoutMs);
      if (report === undefined) throw new FuzzFailure(`${this.engine}: stream ${id} delivered nothing for ${this.options.streamTimeoutMs} ms, and its sentinel (cookie ${cookie}) never came`);
      got.push(report);
      if (report.kind === 'invalidation' && report.cookie === cookie) break;
    }
    this.options.stats.reports += got.length;
    this.fail(this.model.checkStream(id, got));
    await this.unregister([cookie]);
  }

  private async attempt(call: () => Promise<void>): Promise<UmmunotifyError | undefined> {
    try {
      await call();
      return undefined;
    } catch (e) {
      if (e instanceof UmmunotifyError) return e;
      throw e;
    }
  }

  private checkOutcome(what: string, expected: Outcome, got: UmmunotifyError | undefined): void {
    if (expected.ok && got !== undefined) throw new FuzzFailure(`${this.engine}: ${what} must succeed; it failed with ${got.status}: ${got.message}`);
    if (!expected.ok && got === undefined) throw new FuzzFailure(`${this.engine}: ${what} must fail with ${[...expected.codes].join(' or ')}; it succeeded`);
    if (!expected.ok && got !== undefined && !expected.codes.has(got.status)) {
      throw new FuzzFailure(`${this.engine}: ${what} must fail with ${[...expected.codes].join(' or ')}; it failed with ${got.status}: ${got.message}`);
    }
  }

  private fail(problems: readonly string[]): void {
    if (problems.length > 0) throw new FuzzFailure(`${this.engine}: ${problems.join('; ')}`);
  }
}

/** GetInfo must list what the model leaves out because the engine cannot see it. */
function checkDocumentedBlindSpots(caps: Capabilities, blindSpots: readonly string[]): void {
  if (caps.engine !== 'uffd') return;
  const listed = (words: RegExp) => blindSpots.some((b) => words.test(b));
  if (!listed(/read-only shared mappings/)) throw new Error('uffd GetInfo does not list read-only shared mappings among its blind spots');
  if (!caps.forkEvents && !listed(/fork/)) throw new Error('uffd GetInfo lists no fork events and no fork blind spot');
}

export function command(op: MemoryOp): string {
  const h = (v: bigint) => v.toString(16);
  switch (op.op) {
    case 'map':
      return `map ${op.kind} ${h(op.addr)} ${op.pages}`;
    case 'munmap':
      return `munmap ${h(op.addr)} ${op.pages}`;
    case 'madvise':
      return `madvise ${h(op.addr)} ${op.pages} ${op.advice}`;
    case 'mremap':
      return `mremap ${h(op.addr)} ${op.from} ${op.to}${op.dest === undefined ? '' : ` ${h(op.dest)}`}`;
    case 'brk-grow':
      return `brk-grow ${op.pages}`;
    case 'brk-shrink':
      return `brk-shrink ${op.pages}`;
    case 'fork':
      return `fork${op.writeAt === undefined ? '' : ` ${h(op.writeAt)}`}`;
    case 'write':
      return `write ${h(op.addr)}`;
  }
}

function describeBatch(batch: readonly Registration[]): string {
  return `[${batch.map((r) => `${r.cookie}: [${hex(r.start)}, ${hex(r.end)})`).join(', ')}]`;
}
