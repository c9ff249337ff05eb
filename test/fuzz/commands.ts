// The fuzzer's operations as fast-check commands: generated with their
// arguments up front (so that fast-check can shrink a failing sequence),
// resolved against each lane's model when they run.

import fc from 'fast-check';
import type { Lane, MemoryOp } from './lane.ts';
import { ARENA_PAGES, type Place, type RegistrationSpec, type Rig } from './rig.ts';

/** fast-check's model: the real models live in the lanes (one per engine). */
export type NoModel = Record<string, never>;
type Cmd = fc.AsyncCommand<NoModel, Rig, false>;

const COOKIES = 12;
const STREAMS = 2;

abstract class Base implements Cmd {
  check(): boolean {
    return true;
  }
  async run(_m: NoModel, rig: Rig): Promise<void> {
    if (process.env.FUZZ_TRACE) process.stderr.write(`# fuzz step: ${this.toString()}\n`);
    await this.exec(rig);
  }
  protected abstract exec(rig: Rig): Promise<void>;
  abstract toString(): string;
}

const placeText = (p: Place) => `${p.region}[${p.page}]${p.offset ? `+${p.offset}` : ''}`;

class Map_ extends Base {
  constructor(
    readonly kind: 'anon' | 'shared' | 'file-rw' | 'file-ro' | 'file-private',
    readonly page: number,
    readonly pages: number,
  ) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    const pages = Math.min(this.pages, ARENA_PAGES - this.page);
    await rig.memory((lane) => ({ op: 'map', kind: this.kind, addr: lane.arenaPage(this.page), pages }));
  }
  toString(): string {
    return `map(${this.kind}, arena[${this.page}], ${this.pages}p)`;
  }
}

class Munmap extends Base {
  constructor(
    readonly page: number,
    readonly pages: number,
  ) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane) => ({ op: 'munmap', addr: lane.arenaPage(this.page), pages: this.pages }));
  }
  toString(): string {
    return `munmap(arena[${this.page}], ${this.pages}p)`;
  }
}

class Madvise extends Base {
  constructor(
    readonly at: Place,
    readonly pages: number,
    readonly advice: 'dontneed' | 'free',
  ) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane) => {
      const at = rig.resolve(lane, { ...this.at, offset: 0 });
      if (at !== undefined && at % lane.caps.page !== 0n) return undefined;
      if (at === undefined) return undefined;
      const pages = this.at.region === 'heap' ? 1 : this.pages;
      // MADV_FREE is for private anonymous memory only; elsewhere it fails part-way.
      if (this.advice === 'free' && !allPages(lane, at, pages, (k) => k === 'anon' || k === 'heap')) return undefined;
      return { op: 'madvise', addr: at, pages, advice: this.advice };
    });
  }
  toString(): string {
    return `madvise(${placeText({ ...this.at, offset: 0 })}, ${this.pages}p, ${this.advice})`;
  }
}

class Mremap extends Base {
  constructor(
    /** The nth mapped page of the arena. */
    readonly nth: number,
    readonly from: number,
    readonly to: number,
    readonly dest: number | undefined,
  ) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane): MemoryOp | undefined => {
      const mapped = lane.model.mappedPages().filter((a) => a >= lane.arenaPage(0) && a < lane.arenaPage(ARENA_PAGES));
      const addr = mapped[this.nth % Math.max(mapped.length, 1)];
      if (addr === undefined) return undefined;
      const page = Number((addr - lane.arenaPage(0)) / lane.caps.page);
      if (!allPages(lane, addr, this.from, () => true)) return undefined;
      if (this.dest !== undefined) {
        // Same size, inside the arena, not overlapping the source.
        const dest = this.dest;
        if (dest + this.from > ARENA_PAGES || (dest < page + this.from && page < dest + this.from)) return undefined;
        return { op: 'mremap', addr, from: this.from, to: this.from, dest: lane.arenaPage(dest) };
      }
      if (this.to === this.from || page + this.to > ARENA_PAGES) return undefined;
      // Pages past the end of a file (or of a shared mapping's shmem object) fault with SIGBUS: only private anonymous memory grows.
      if (this.to > this.from && !allPages(lane, addr, this.from, (k) => k === 'anon')) return undefined;
      return { op: 'mremap', addr, from: this.from, to: this.to };
    });
  }
  toString(): string {
    return this.dest === undefined ? `mremap(mapped arena page ${this.nth}, ${this.from}p -> ${this.to}p)` : `mremap(mapped arena page ${this.nth}, ${this.from}p -> arena[${this.dest}])`;
  }
}

class Brk extends Base {
  constructor(readonly delta: number) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane): MemoryOp | undefined => {
      if (this.delta > 0) return { op: 'brk-grow', pages: this.delta };
      const heap = lane.model.heapRange();
      const held = heap ? Number((heap.end - heap.start) / lane.caps.page) : 0;
      return held >= -this.delta ? { op: 'brk-shrink', pages: -this.delta } : undefined;
    });
  }
  toString(): string {
    return this.delta > 0 ? `brk(+${this.delta}p)` : `brk(${this.delta}p)`;
  }
}

class Fork extends Base {
  constructor(readonly writeAt: Place | undefined) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane): MemoryOp => {
      const at = this.writeAt && rig.resolve(lane, this.writeAt);
      // The parent writes only where it may: mapped writable memory.
      const ok = at !== undefined && allPages(lane, at, 1, (k) => k !== 'file-ro');
      return ok ? { op: 'fork', writeAt: at } : { op: 'fork' };
    });
  }
  toString(): string {
    return this.writeAt ? `fork(write ${placeText(this.writeAt)})` : 'fork()';
  }
}

class Write extends Base {
  constructor(readonly at: Place) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.memory((lane) => {
      const at = rig.resolve(lane, this.at);
      return at !== undefined && allPages(lane, at, 1, (k) => k !== 'file-ro') ? { op: 'write', addr: at } : undefined;
    });
  }
  toString(): string {
    return `write(${placeText(this.at)})`;
  }
}

class Register extends Base {
  constructor(readonly specs: readonly RegistrationSpec[]) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.register(this.specs);
  }
  toString(): string {
    return `register([${this.specs.map((s) => `${s.cookie}: ${s.malformed ?? `${placeText(s.at)} +${s.bytes}`}`).join(', ')}])`;
  }
}

class Unregister extends Base {
  constructor(readonly cookies: readonly bigint[]) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.unregister(this.cookies);
  }
  toString(): string {
    return `unregister([${this.cookies.join(', ')}])`;
  }
}

class Read extends Base {
  constructor(readonly max: number) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    await rig.read(this.max);
  }
  toString(): string {
    return `read(max ${this.max})`;
  }
}

class Info extends Base {
  protected async exec(rig: Rig): Promise<void> {
    await rig.info();
  }
  toString(): string {
    return 'info()';
  }
}

class Stream extends Base {
  constructor(
    readonly id: number,
    readonly action: 'open' | 'close' | 'drain',
  ) {
    super();
  }
  protected async exec(rig: Rig): Promise<void> {
    if (this.action === 'open') await rig.openStream(this.id);
    else if (this.action === 'close') rig.closeStream(this.id);
    else await rig.drainStream(this.id);
  }
  toString(): string {
    return `stream ${this.id}: ${this.action}`;
  }
}

function allPages(lane: Lane, addr: bigint, pages: number, ok: (kind: string) => boolean): boolean {
  for (let i = 0; i < pages; i++) {
    const kind = lane.model.kindAt(addr + BigInt(i) * lane.caps.page);
    if (kind === undefined || !ok(kind)) return false;
  }
  return true;
}

// ---- arbitraries ------------------------------------------------------------

const arenaPage = fc.integer({ min: 0, max: ARENA_PAGES - 1 });
const pages = fc.integer({ min: 1, max: 6 });
const offset = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4095 }));
/** Mostly memory that is mapped (else almost every registration meets a hole), some anywhere in and around the arena, some on the heap. */
const place: fc.Arbitrary<Place> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ region: fc.constant('mapped' as const), page: fc.nat({ max: 200 }), offset }) },
  { weight: 3, arbitrary: fc.record({ region: fc.constant('arena' as const), page: fc.integer({ min: -2, max: ARENA_PAGES + 1 }), offset }) },
  { weight: 1, arbitrary: fc.record({ region: fc.constant('heap' as const), page: fc.integer({ min: 0, max: 7 }), offset }) },
);
const cookie = fc.integer({ min: 1, max: COOKIES }).map(BigInt);
const spec: fc.Arbitrary<RegistrationSpec> = fc
  .tuple(
    cookie,
    place,
    fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 4096 * 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => n * 4096) }),
    fc.oneof({ weight: 14, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('inverted' as const, 'beyond' as const) }),
  )
  .map(([c, at, bytes, malformed]): RegistrationSpec => (malformed === undefined ? { cookie: c, at, bytes } : { cookie: c, at, bytes, malformed }));

const mapCmd = fc
  .tuple(fc.constantFrom('anon', 'anon', 'anon', 'shared', 'file-rw', 'file-ro', 'file-private') as fc.Arbitrary<Map_['kind']>, arenaPage, pages)
  .map(([k, p, n]) => new Map_(k, p, n));
const registerCmd = fc.array(spec, { minLength: 1, maxLength: 4 }).map((s) => new Register(s));

/** The commands, repeated by weight: memory gets mapped and registered more often than it is torn down. */
export const commandArbitraries: fc.Arbitrary<Cmd>[] = [
  mapCmd,
  mapCmd,
  mapCmd,
  registerCmd,
  registerCmd,
  registerCmd,
  fc.tuple(fc.integer({ min: -1, max: ARENA_PAGES }), pages).map(([p, n]) => new Munmap(p, n)),
  fc.tuple(place, fc.integer({ min: 1, max: 4 }), fc.constantFrom('dontneed' as const, 'dontneed' as const, 'free' as const)).map(([a, n, adv]) => new Madvise(a, n, adv)),
  fc.tuple(fc.nat({ max: 200 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.option(arenaPage, { freq: 2 })).map(([n, from, to, dest]) => new Mremap(n, from, to, dest ?? undefined)),
  fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0).map((d) => new Brk(d)),
  fc.option(place, { freq: 4 }).map((at) => new Fork(at ?? undefined)),
  place.map((at) => new Write(at)),
  fc.array(cookie, { minLength: 1, maxLength: 3 }).map((c) => new Unregister(c)),
  fc.constantFrom(0, 0, 1, 2, 3).map((max) => new Read(max)),
  fc.constant(new Info()),
  fc.tuple(fc.integer({ min: 0, max: STREAMS - 1 }), fc.constantFrom('open' as const, 'open' as const, 'close' as const, 'drain' as const, 'drain' as const)).map(([id, a]) => new Stream(id, a)),
];

/** Every run ends with what settles the model: a full read and each stream drained, so no miss stays hidden. */
export async function settle(rig: Rig): Promise<void> {
  for (let id = 0; id < STREAMS; id++) await rig.drainStream(id);
  await rig.read(0);
  await rig.info();
}

export const FINAL_CHECK = { toString: () => 'read(max 0) and drain every stream' };
