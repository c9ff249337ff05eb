// Runs one scenario with this process as the target: memory steps are real
// system calls (test/support/memops), daemon steps go through the Node
// client to a sidecar that open() started for this scenario alone.

import { tmpdir } from 'node:os';
import type { OpenClient } from '../../../../clients/node/src/open.ts';
import { UmmunotifyError } from '../../../../clients/node/src/errors.ts';
import type { Report } from '../../../../clients/node/src/reports.ts';
import type { Subscription } from '../../../../clients/node/src/subscription.ts';
import { memops } from '../../../support/memops/index.ts';
import { evaluate } from './expressions.ts';
import { mismatch } from './matching.ts';
import { OwnedRanges } from './owned-ranges.ts';
import type { EngineName, ErrorExpectation, Expr, Matcher, RangeSpec, Scenario, Step } from './scenario.ts';
import { needsOwnSidecar, openOwn, type SharedSidecar } from './sidecars.ts';

const PAGE = BigInt(memops.pageSize());
const WAIT_MS = 5000;

const ENGINE_NAMES: Readonly<Record<string, string>> = { ENGINE_UNSPECIFIED: 'unspecified', ENGINE_DEVICE: 'device', ENGINE_UFFD: 'uffd' };
const INFO_FIELDS: Readonly<Record<string, string>> = {
  engine: 'engine',
  target_alive: 'targetAlive',
  registrations: 'registrations',
  max_registrations: 'maxRegistrations',
  pending_reports: 'pendingReports',
  subscribers: 'subscribers',
};

// <asm-generic/mman-common.h>
const ADVICE: Readonly<Record<string, number>> = { dontneed: 4, pageout: 21 };

const pagesIn = (bytes: bigint): number => Number((bytes + PAGE - 1n) / PAGE);

class StepFailure extends Error {}

class ScenarioRun {
  private readonly names = new Map<string, bigint>();
  private readonly owned = new OwnedRanges();
  private readonly subscriptions = new Map<string, Subscription>();
  /** Cookies registered and not unregistered: what a shared sidecar must forget after us. */
  readonly registered = new Set<bigint>();
  private seen = 0n;
  private brkEnd: bigint | undefined;
  private brkStart: bigint | undefined;

  constructor(
    private readonly umn: OpenClient,
    private readonly engine: EngineName,
  ) {}

  private at(e: unknown): bigint {
    return evaluate(e, this.names, PAGE);
  }

  private int(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new StepFailure(`${what}: expected a whole number, got ${JSON.stringify(value)}`);
    return value;
  }

  private name(value: unknown): string {
    if (typeof value !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(value)) throw new StepFailure(`name: expected [a-z_][a-z0-9_]*, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Remembers the counter page's value once attached: the first "seen". */
  noteAttached(): void {
    this.seen = this.umn.counter.value();
  }

  async step(step: Step): Promise<void> {
    const error = step.error as ErrorExpectation | undefined;
    let failed: UmmunotifyError | undefined;
    try {
      await this.run(step);
    } catch (e) {
      if (!(e instanceof UmmunotifyError)) throw e;
      failed = e;
    }
    if (error === undefined) {
      if (failed) throw new StepFailure(`failed with ${failed.status}${failed.errnoName ? ` (${failed.errnoName})` : ''}: ${failed.message}`);
      return;
    }
    if (!failed) throw new StepFailure(`succeeded, expected ${error.code}${error.errno ? ` (${error.errno})` : ''}`);
    if (failed.status !== error.code || (error.errno !== undefined && failed.errnoName !== error.errno)) {
      throw new StepFailure(`failed with ${failed.status} (${failed.errnoName ?? 'no errno'}): ${failed.message}; expected ${error.code}${error.errno ? ` (${error.errno})` : ''}`);
    }
  }

  private async run(step: Step): Promise<void> {
    const s = step as Record<string, unknown>;
    switch (step.op) {
      case 'mmap': {
        const pages = this.int(s.pages, 'pages');
        const type = (s.type ?? 'anonymous') as string;
        if (type !== 'anonymous' && type !== 'shared' && type !== 'file') throw new StepFailure(`type: anonymous, shared or file, got ${JSON.stringify(type)}`);
        const prot = s.prot ?? 'read-write';
        if (prot !== 'read-write' && prot !== 'read') throw new StepFailure(`prot: read-write or read, got ${JSON.stringify(prot)}`);
        const addr = memops.map(type, pages, s.at === undefined ? undefined : this.at(s.at), process.env.TMPDIR ?? tmpdir(), prot === 'read-write');
        this.names.set(this.name(s.name), addr);
        this.owned.add(addr, addr + BigInt(pages) * PAGE);
        return;
      }
      case 'munmap': {
        const [addr, length] = [this.at(s.at), this.at(s.length)];
        memops.munmap(addr, pagesIn(length));
        this.owned.remove(addr, addr + length);
        return;
      }
      case 'madvise': {
        const advice = ADVICE[String(s.advice)];
        if (advice === undefined) throw new StepFailure(`advice: one of ${Object.keys(ADVICE).join(', ')}, got ${JSON.stringify(s.advice)}`);
        memops.madvise(this.at(s.at), pagesIn(this.at(s.length)), advice);
        return;
      }
      case 'mremap': {
        const [addr, length] = [this.at(s.at), this.at(s.length)];
        const newLength = s.new_length === undefined ? length : this.at(s.new_length);
        const to = s.to === undefined ? undefined : this.at(s.to);
        const moved = memops.mremap(addr, length, newLength, to);
        this.owned.remove(addr, addr + length);
        this.owned.add(moved, moved + newLength);
        return;
      }
      case 'brk-grow': {
        const range = memops.brkGrow(this.int(s.pages, 'pages'));
        this.brkStart ??= range.start;
        this.brkEnd = range.end;
        this.names.set(this.name(s.name), range.start);
        return;
      }
      case 'brk-shrink': {
        const range = memops.brkShrink(this.int(s.pages, 'pages'));
        this.brkEnd = range.start;
        return;
      }
      case 'write':
      case 'fork-write': {
        const [addr, length] = [this.at(s.at), this.at(s.length)];
        const child = step.op === 'fork-write' ? memops.forkChildThatWaits() : undefined;
        try {
          for (let page = addr - (addr % PAGE); page < addr + length; page += PAGE) memops.write(page > addr ? page : addr, 7);
        } finally {
          if (child !== undefined) memops.killAndReap(child);
        }
        return;
      }
      case 'attach':
        await this.umn.attach();
        this.noteAttached();
        return;
      case 'register': {
        const entries = (s.batch ?? [{ cookie: s.cookie, at: s.at, length: s.length }]) as RangeSpec[];
        if (s.batch !== undefined && (s.cookie !== undefined || s.at !== undefined || s.length !== undefined)) throw new StepFailure('register: either cookie/at/length or batch');
        const regs = entries.map((r) => {
          const start = this.at(r.at);
          return { cookie: BigInt(this.int(r.cookie, 'cookie')), start, end: start + this.at(r.length) };
        });
        await this.umn.client.register(regs);
        for (const r of regs) this.registered.add(r.cookie);
        return;
      }
      case 'unregister': {
        if ((s.cookie === undefined) === (s.cookies === undefined)) throw new StepFailure('unregister: either cookie or cookies');
        const cookies = ((s.cookies ?? [s.cookie]) as unknown[]).map((c) => BigInt(this.int(c, 'cookie')));
        await this.umn.client.unregister(cookies);
        for (const c of cookies) this.registered.delete(c);
        return;
      }
      case 'read-events': {
        const reports = await this.umn.client.readEvents(s.max_reports === undefined ? 0 : this.int(s.max_reports, 'max_reports'));
        const now = this.umn.counter.value();
        this.match(reports, s.expect as Matcher[]);
        for (const r of reports) {
          if (r.kind !== 'last') continue;
          if (r.counter !== now) throw new StepFailure(`last counter ${r.counter}, but the counter page says ${now}`);
          this.seen = r.counter;
        }
        return;
      }
      case 'check-counter': {
        if (typeof s.changed !== 'boolean') throw new StepFailure('changed: true or false');
        const value = this.umn.counter.value();
        if (this.umn.counter.changedSince(this.seen) !== s.changed) throw new StepFailure(`counter ${value}, seen ${this.seen}: expected it ${s.changed ? 'changed' : 'unchanged'}`);
        return;
      }
      case 'info': {
        const info = (await this.umn.client.info()) as unknown as Record<string, unknown>;
        for (const [field, want] of Object.entries(s.expect as Record<string, unknown>)) {
          const key = INFO_FIELDS[field];
          if (!key) throw new StepFailure(`info: unknown field ${field}`);
          const got = field === 'engine' ? ENGINE_NAMES[String(info[key])] : typeof want === 'number' ? Number(info[key]) : info[key];
          if (got !== want) throw new StepFailure(`info ${field} is ${String(got)}, expected ${String(want)}`);
        }
        return;
      }
      case 'subscribe': {
        const name = this.name(s.name);
        const before = (await this.umn.client.info()).subscribers;
        this.subscriptions.set(name, await this.umn.client.subscribe());
        await this.untilSubscribers(before + 1);
        return;
      }
      case 'stream-expect': {
        const sub = this.subscriptions.get(this.name(s.name));
        if (!sub) throw new StepFailure(`no subscription named ${String(s.name)}`);
        const expect = s.expect as Matcher[];
        const reports: Report[] = [];
        const deadline = Date.now() + WAIT_MS;
        while (reports.length < expect.length) {
          const report = await sub.next(Math.max(0, deadline - Date.now()));
          if (!report) throw new StepFailure(`stream ${String(s.name)}: ${reports.length} of ${expect.length} reports after ${WAIT_MS} ms`);
          reports.push(report);
        }
        this.match(reports, expect);
        return;
      }
      case 'unsubscribe': {
        const name = this.name(s.name);
        const sub = this.subscriptions.get(name);
        if (!sub) throw new StepFailure(`no subscription named ${name}`);
        const before = (await this.umn.client.info()).subscribers;
        sub.cancel();
        this.subscriptions.delete(name);
        await this.untilSubscribers(before - 1);
        return;
      }
      default:
        throw new StepFailure(`unknown op ${step.op}`);
    }
  }

  private match(reports: readonly Report[], expect: readonly Matcher[]): void {
    const why = mismatch(reports, expect, { engine: this.engine, evaluate: (e: Expr) => this.at(e) });
    if (why) throw new StepFailure(why);
  }

  private async untilSubscribers(count: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const now = (await this.umn.client.info()).subscribers;
      if (now === count) return;
      if (Date.now() > deadline) throw new StepFailure(`GetInfo says ${now} subscribers after ${WAIT_MS} ms, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Ends subscriptions and gives back whatever memory the scenario still holds. */
  cleanUp(): void {
    for (const sub of this.subscriptions.values()) sub.cancel();
    this.subscriptions.clear();
    for (const [start, end] of this.owned.drain()) memops.munmap(start, pagesIn(end - start));
    if (this.brkStart !== undefined && this.brkEnd !== undefined && this.brkEnd > this.brkStart) {
      try {
        memops.brkShrink(Number((this.brkEnd - this.brkStart) / PAGE));
      } catch {
        // malloc moved the break since: its memory now, leave it be
      }
    }
  }
}

/** Runs a scenario (test/conformance/README.md); throws with the failing step. */
export class Runner {
  private leftover: bigint[] = [];

  constructor(
    private readonly engine: EngineName,
    private readonly shared: SharedSidecar,
  ) {}

  async run(scenario: Scenario): Promise<void> {
    const own = needsOwnSidecar(scenario);
    // A target has one daemon at a time: the shared one makes way.
    if (own) await this.shared.close();
    const umn = own ? await openOwn(scenario, this.engine) : await this.shared.clean(this.leftover);
    this.leftover = [];
    const run = new ScenarioRun(umn, this.engine);
    try {
      if (scenario.attach) {
        const attached = ENGINE_NAMES[(await umn.client.info()).engine];
        if (attached !== this.engine) throw new Error(`GetInfo says engine ${String(attached)}, but this run tests ${this.engine}`);
        run.noteAttached();
      }
      for (const [index, step] of scenario.steps.entries()) {
        try {
          await run.step(step);
        } catch (e) {
          throw new Error(`${scenario.id}: step ${index} (${step.op}): ${(e as Error).message}`, { cause: e });
        }
      }
    } finally {
      run.cleanUp();
      if (own) await umn.close();
      else this.leftover = [...run.registered];
    }
  }

  close(): Promise<void> {
    return this.shared.close();
  }
}
