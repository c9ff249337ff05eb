// The daemon's state for its one target: waiting for Attach, attached to an
// engine, or past the target's exit. Every RPC goes through here; every
// refusal is an RpcError with the status the contract names.

import * as grpc from '@grpc/grpc-js';
import { chmodSync } from 'node:fs';
import type { GetInfoResponse } from '../../proto/gen/ts/ummunotify/v1/GetInfoResponse.ts';
import type { MappingType__Output } from '../../proto/gen/ts/ummunotify/v1/MappingType.ts';
import type { Report } from '../../proto/gen/ts/ummunotify/v1/Report.ts';
import type { Logger } from './log.ts';
import { COUNT_SLOTS, CountSlot, native, type NativeEngine, type NativeEngineInfo } from './native.ts';
import type { Peer } from './peers.ts';
import { MAX_REPORTS_PER_READ, sourceName, targetExitedReport, toWireReport } from './reports.ts';
import { RpcError, toRpcError } from './status.ts';
import { StreamPump, type EventStream } from './stream-pump.ts';
import type { TargetIdentity } from './target.ts';
import type { PackedRegistrations } from './wire.ts';

export interface SessionOptions {
  readonly maxRegistrations: number;
  readonly busyPollMicros: number;
  readonly counterSocket: string;
  /** File mode of the counter socket (see socketModes). */
  readonly counterSocketMode: number;
  /** Uids besides root and the target's that may fetch the counter page. */
  readonly allowedUids: readonly number[];
}

const MAPPING_NAMES: Readonly<Record<number, MappingType__Output>> = {
  1: 'MAPPING_TYPE_ANONYMOUS',
  2: 'MAPPING_TYPE_SHMEM',
  3: 'MAPPING_TYPE_HUGETLB',
  4: 'MAPPING_TYPE_FILE',
};

type FixedInfo = Required<Pick<GetInfoResponse, 'engine' | 'features' | 'sources' | 'blindSpots' | 'watchableMappings'>>;

function fixedInfo(engine: EngineName, i: NativeEngineInfo): FixedInfo {
  return {
    engine,
    features: [...i.features],
    sources: i.sources.map(sourceName),
    blindSpots: [...i.blindSpots],
    watchableMappings: i.watchableMappings.map((m) => MAPPING_NAMES[m] ?? 'MAPPING_TYPE_UNSPECIFIED'),
  };
}

type EngineName = 'ENGINE_UFFD' | 'ENGINE_DEVICE';

export class Session {
  private engine: NativeEngine | undefined;
  /** GetInfo's fields that are fixed once attached (the engine's name among them), in wire form, built once (never mutated: responses share them). */
  private fixedInfo: FixedInfo | undefined;
  /** Scratch for engine.counts(): GetInfo allocates nothing to ask the engine. */
  private readonly counts = new BigUint64Array(COUNT_SLOTS);
  private counterServer: { close(): void } | undefined;
  /** Our own read-only view of the counter page: streams stamp batches with one load. */
  private counterPage: { load(): bigint; unmap(): void } | undefined;
  private readonly pumps = new Set<StreamPump>();
  private exited = false;
  private readonly exitWatch: { close(): void };

  constructor(
    readonly target: TargetIdentity,
    private readonly pidfd: number,
    private readonly options: SessionOptions,
    private readonly log: Logger,
    private readonly onTargetExit: () => void,
  ) {
    this.exitWatch = native.watchPidfd(pidfd, () => this.targetExited());
  }

  get targetAlive(): boolean {
    return !this.exited;
  }

  attach(peer: Peer, fd: number): EngineName {
    if (this.exited) throw new RpcError(grpc.status.FAILED_PRECONDITION, `the target (pid ${this.target.pid}) has exited`);
    // Only the target itself (DESIGN section 5); root, too, asks the target to do it.
    if (!peer.isTarget) {
      throw new RpcError(
        grpc.status.PERMISSION_DENIED,
        `Attach must come from the target process itself (pid ${this.target.pid}); this connection is pid ${peer.pid}, uid ${peer.uid}`,
      );
    }
    if (this.engine !== undefined) throw new RpcError(grpc.status.FAILED_PRECONDITION, 'already attached: Attach is called once, by the target');
    if (!Number.isInteger(fd) || fd < 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, `fd ${fd} is not a file descriptor number`);

    let taken: number;
    try {
      taken = native.pidfdGetfd(this.pidfd, fd);
    } catch (e) {
      const err = toRpcError(e);
      if (err.errnoName === 'EBADF') throw new RpcError(grpc.status.INVALID_ARGUMENT, `the target has no open fd ${fd}`, err.errno, err.errnoName);
      if (err.errnoName === 'ESRCH') throw new RpcError(grpc.status.FAILED_PRECONDITION, 'the target has exited', err.errno, err.errnoName);
      throw err;
    }

    // The engine is chosen by what the target handed over.
    const kind = native.fdKind(taken);
    if (kind !== 'uffd' && kind !== 'device') {
      native.close(taken);
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `fd ${fd} of the target is neither a userfaultfd nor /dev/ummunotify`);
    }
    const onActivity = (): void => this.activity();
    const { maxRegistrations, busyPollMicros } = this.options;
    const engine =
      kind === 'device'
        ? native.createDeviceEngine({ device: taken, pidfd: this.pidfd, maxRegistrations, onActivity })
        : native.createUffdEngine({ uffd: taken, pidfd: this.pidfd, pid: this.target.pid, maxRegistrations, busyPollMicros, onActivity });
    const name: EngineName = kind === 'device' ? 'ENGINE_DEVICE' : 'ENGINE_UFFD';
    const counterFd = engine.counterFd();
    try {
      this.counterServer = native.serveFd(this.options.counterSocket, counterFd, [this.target.uid, ...this.options.allowedUids]);
      chmodSync(this.options.counterSocket, this.options.counterSocketMode);
      this.counterPage = native.mapCounter(counterFd);
    } catch (e) {
      this.counterServer?.close();
      this.counterServer = undefined;
      engine.close();
      throw e;
    } finally {
      native.close(counterFd);
    }
    this.engine = engine;
    this.fixedInfo = fixedInfo(name, engine.info());
    this.log.log('info', 'attached', { engine: kind, fd, features: this.fixedInfo.features.join(',') });
    return name;
  }

  // One object literal, no spreads: V8 built the spreads this replaced
  // through a slow path, about 13 us a call (the literal: about 1 us).
  info(): GetInfoResponse {
    const fixed = this.fixedInfo;
    if (this.engine === undefined || fixed === undefined) {
      return {
        targetPid: this.target.pid,
        targetAlive: !this.exited,
        subscribers: this.pumps.size,
        engine: 'ENGINE_UNSPECIFIED',
        maxRegistrations: String(this.options.maxRegistrations),
        maxReportsPerRead: MAX_REPORTS_PER_READ,
      };
    }
    const c = this.engineCounts(this.engine);
    return {
      targetPid: this.target.pid,
      targetAlive: !this.exited,
      subscribers: this.pumps.size,
      engine: fixed.engine,
      features: fixed.features,
      sources: fixed.sources,
      blindSpots: fixed.blindSpots,
      watchableMappings: fixed.watchableMappings,
      counter: String(c[CountSlot.Counter]),
      registrations: String(c[CountSlot.Registrations]),
      maxRegistrations: String(c[CountSlot.MaxRegistrations]),
      pendingReports: String(c[CountSlot.PendingReports]),
      maxReportsPerRead: MAX_REPORTS_PER_READ,
    };
  }

  private engineCounts(engine: NativeEngine): BigUint64Array {
    engine.counts(this.counts);
    return this.counts;
  }

  private attached(): NativeEngine {
    if (this.engine === undefined) throw new RpcError(grpc.status.FAILED_PRECONDITION, 'not attached: the target must call Attach first');
    return this.engine;
  }

  private mutable(): NativeEngine {
    const engine = this.attached();
    if (this.exited) throw new RpcError(grpc.status.FAILED_PRECONDITION, `the target (pid ${this.target.pid}) has exited; its address space is gone`);
    return engine;
  }

  /** Where clients fetch the counter page: a sealed memfd (uffd) or the module's counter-only fd (device). */
  counterEndpoint(): { socketPath: string; sealedMemfd: boolean } {
    this.attached();
    return { socketPath: this.options.counterSocket, sealedMemfd: this.fixedInfo?.engine === 'ENGINE_UFFD' };
  }

  register(regs: PackedRegistrations): void {
    this.mutable().registerPacked(regs);
  }

  /** Returns the unregistration epoch (UnregisterResponse.epoch). */
  unregister(cookies: BigUint64Array): bigint {
    return this.mutable().unregisterPacked(cookies);
  }

  /**
   * As read(2): INVAL reports, LAST once empty; after the target's exit and
   * the drain, TargetExited. At most MAX_REPORTS_PER_READ (any uint32
   * max_reports is taken, 0 meaning as many as fit), and the engine gives up
   * only what the reply holds.
   */
  readEvents(maxReports: number): Report[] {
    const engine = this.attached();
    const limit = maxReports === 0 ? MAX_REPORTS_PER_READ : Math.min(maxReports, MAX_REPORTS_PER_READ);
    const reports = engine.readEvents(limit).map(toWireReport);
    if (this.exited && reports.length < limit && this.engineCounts(engine)[CountSlot.PendingReports] === 0n) reports.push(targetExitedReport(this.target.pid));
    return reports;
  }

  openStream(call: EventStream): void {
    const engine = this.attached();
    // Attach sets the counter page together with the engine.
    const counterPage = this.counterPage as { load(): bigint };
    const pump = new StreamPump(call, engine.subscribe(), () => counterPage.load(), (p) => this.pumps.delete(p));
    this.pumps.add(pump);
    if (this.exited) pump.end(this.target.pid);
    else pump.pump();
  }

  private activity(): void {
    for (const pump of this.pumps) pump.pump();
  }

  /** The target is gone: streams drain and end with TargetExited; mutations now fail. */
  private targetExited(): void {
    if (this.exited) return;
    this.exited = true;
    this.log.log('info', 'target exited', { pid: this.target.pid });
    for (const pump of [...this.pumps]) pump.end(this.target.pid);
    this.onTargetExit();
  }

  /** Orderly stop: streams end (OK status) after what is queued, then every fd is closed. */
  close(): void {
    for (const pump of [...this.pumps]) pump.end(this.exited ? this.target.pid : undefined);
    this.exitWatch.close();
    this.counterServer?.close();
    this.counterServer = undefined;
    this.counterPage?.unmap();
    this.counterPage = undefined;
    this.engine?.close();
    this.engine = undefined;
  }
}
