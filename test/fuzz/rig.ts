// The system under test for one fuzz run: one lane (an engine with its
// model), or two lanes driven in step on the same operations so that the
// engines can be compared where both see an event.

import type { Report } from '../../clients/node/src/reports.ts';
import { ARENA_PAGES, FuzzFailure, HOLE_PAGE, Lane, SENTINEL_PAGE, type LaneOptions, type MemoryOp } from './lane.ts';
import type { Registration } from './model.ts';

/** Where an operation applies, the same for every lane: resolved per lane (the heap lies elsewhere in each). */
export interface Place {
  /**
   * mapped: the page-th mapped page of ours (arena and heap, by address: the
   * same in every lane). heap: a page of what brk-grow added; before any, a
   * page nothing maps.
   */
  readonly region: 'arena' | 'heap' | 'mapped';
  /** Page index in the region; arena pages outside [0, ARENA_PAGES) are holes around it. */
  readonly page: number;
  /** Byte offset into that page. */
  readonly offset: number;
}

export interface RegistrationSpec {
  readonly cookie: bigint;
  readonly at: Place;
  readonly bytes: number;
  /** Malformed on purpose: an empty or inverted range, or one past user space. */
  readonly malformed?: 'inverted' | 'beyond';
}

export class Rig {
  private constructor(
    readonly lanes: readonly Lane[],
    private readonly options: readonly LaneOptions[],
  ) {}

  static async start(options: readonly LaneOptions[]): Promise<Rig> {
    const lanes: Lane[] = [];
    try {
      for (const o of options) lanes.push(await Lane.start(o));
    } catch (e) {
      for (const l of lanes) await l.close();
      throw e;
    }
    return new Rig(lanes, options);
  }

  /** Ready for a new run: each lane reset, or started afresh if a failed run left it unusable. */
  async reset(): Promise<Rig> {
    try {
      for (const lane of this.lanes) await lane.reset();
      return this;
    } catch {
      await this.close();
      return Rig.start(this.options);
    }
  }

  async close(): Promise<void> {
    for (const lane of this.lanes) await lane.close().catch(() => undefined);
  }

  get first(): Lane {
    return this.lanes[0] as Lane;
  }

  resolve(lane: Lane, place: Place): bigint | undefined {
    if (place.region === 'arena') return lane.arenaPage(place.page) + BigInt(place.offset);
    if (place.region === 'mapped') {
      const sentinel = lane.page(SENTINEL_PAGE);
      const mapped = lane.model.mappedPages().filter((a) => a !== sentinel);
      const page = mapped[place.page % Math.max(mapped.length, 1)];
      return page === undefined ? undefined : page + BigInt(place.offset);
    }
    const heap = lane.model.heapRange();
    if (heap === undefined || heap.end <= heap.start) return undefined;
    const pages = Number((heap.end - heap.start) / lane.caps.page);
    return heap.start + BigInt(place.page % pages) * lane.caps.page + BigInt(place.offset);
  }

  /**
   * Runs a memory operation on every lane, or on none: `build` may decline
   * (undefined) from what the model knows, and the target may decline an
   * mremap or brk-shrink its VMAs do not allow. Returns whether it ran.
   */
  async memory(build: (lane: Lane) => MemoryOp | undefined): Promise<boolean> {
    const ops = this.lanes.map((lane) => build(lane));
    if (ops.some((op) => op === undefined)) return false;
    for (const [i, lane] of this.lanes.entries()) if (!(await lane.feasible(ops[i] as MemoryOp))) return false;
    for (const [i, lane] of this.lanes.entries()) await lane.memory(ops[i] as MemoryOp);
    return true;
  }

  async register(specs: readonly RegistrationSpec[]): Promise<void> {
    for (const lane of this.lanes) {
      const batch: Registration[] = [];
      for (const spec of specs) {
        // The heap before any brk-grow: a page nothing maps.
        const start = this.resolve(lane, spec.at) ?? lane.page(HOLE_PAGE) + BigInt(spec.at.offset);
        if (spec.malformed === 'inverted') batch.push({ cookie: spec.cookie, start, end: start - BigInt(spec.bytes % 2) });
        else if (spec.malformed === 'beyond') batch.push({ cookie: spec.cookie, start, end: 0xffff_ffff_ffff_f000n });
        else batch.push({ cookie: spec.cookie, start, end: start + BigInt(spec.bytes) });
      }
      await lane.register(batch);
    }
  }

  async unregister(cookies: readonly bigint[]): Promise<void> {
    for (const lane of this.lanes) await lane.unregister(cookies);
  }

  /** ReadEvents on every lane; where both engines saw the same invalidations of a registration, their reports must agree. */
  async read(max: number): Promise<void> {
    const signatures = this.lanes.map((lane) => new Map(lane.model.pendingCookies().map((c) => [c, lane.model.signature(c)])));
    const results: (readonly Report[])[] = [];
    for (const lane of this.lanes) results.push(await lane.read(max));
    if (this.lanes.length === 2 && max === 0) compareEngines(this.lanes as [Lane, Lane], signatures as [Map<bigint, string | undefined>, Map<bigint, string | undefined>], results as [readonly Report[], readonly Report[]]);
  }

  async info(): Promise<void> {
    for (const lane of this.lanes) await lane.info();
  }

  async openStream(id: number): Promise<void> {
    for (const lane of this.lanes) await lane.openStream(id);
  }

  closeStream(id: number): void {
    for (const lane of this.lanes) lane.closeStream(id);
  }

  async drainStream(id: number): Promise<void> {
    for (const lane of this.lanes) await lane.drainStream(id);
  }
}

/** Reports of registrations that both models saw hit the same way, only by events both engines see, must be alike. */
function compareEngines(lanes: [Lane, Lane], signatures: [Map<bigint, string | undefined>, Map<bigint, string | undefined>], results: [readonly Report[], readonly Report[]]): void {
  const byCookie = (reports: readonly Report[]) => new Map(reports.flatMap((r) => (r.kind === 'invalidation' ? [[r.cookie, r] as const] : [])));
  const [a, b] = results.map(byCookie) as [ReturnType<typeof byCookie>, ReturnType<typeof byCookie>];
  for (const [cookie, ra] of a) {
    const rb = b.get(cookie);
    const sa = signatures[0].get(cookie);
    if (rb === undefined || sa === undefined || sa !== signatures[1].get(cookie) || !/exact/.test(sa)) continue;
    const regA = lanes[0].model.registration(cookie);
    const regB = lanes[1].model.registration(cookie);
    if (regA === undefined || regB === undefined) continue;
    const rel = (r: typeof ra, reg: Registration) => `${r.hint ? 'HINT ' : ''}+${r.start - reg.start}..+${r.end - reg.start}`;
    if (rel(ra, regA) !== rel(rb, regB)) {
      throw new FuzzFailure(`the engines disagree on cookie ${cookie}, hit the same way (${sa}): ${lanes[0].engine} says ${rel(ra, regA)}, ${lanes[1].engine} says ${rel(rb, regB)}`);
    }
    lanes[0].options.stats.compared++;
  }
}

export { ARENA_PAGES };
