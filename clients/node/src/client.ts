// The Node client: connect to a target's daemon, hand over the target's
// userfaultfd (when we are the target), watch ranges, read and stream
// reports, and check the counter page with one load.

import * as grpc from '@grpc/grpc-js';
import type { GetInfoResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/GetInfoResponse.ts';
import type { RegisterResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/RegisterResponse.ts';
import type { StreamEventsResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/StreamEventsResponse.ts';
import type { UnregisterResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/UnregisterResponse.ts';
import { native } from '../../../daemon/src/native.ts';
import { ummunotifyV1, type UmmunotifyServiceClient } from '../../../daemon/src/proto.ts';
import { encodeRegisterRequest, encodeUnregisterRequest } from '../../../daemon/src/wire.ts';
import { mapCounter, type Counter } from './counter.ts';
import { fromServiceError } from './errors.ts';
import { UnregisterFences } from './fences.ts';
import { fromWire, type Report } from './reports.ts';
import { Subscription } from './subscription.ts';

export interface Registration {
  readonly cookie: bigint;
  /** First watched byte. */
  readonly start: bigint;
  /** First byte after the range. */
  readonly end: bigint;
}

export type Info = GetInfoResponse__Output;

/** The responses of the two calls whose requests go out pre-encoded. */
interface EncodedResponse {
  Register: RegisterResponse__Output;
  Unregister: UnregisterResponse__Output;
}

type Unary<Req, Res> = (request: Req, callback: (error: grpc.ServiceError | null, response?: Res) => void) => grpc.ClientUnaryCall;

export class UmmunotifyClient {
  /**
   * Streams still open. grpc-js's close() leaves active calls running (and
   * so the connection, and the daemon's subscriber), so close() cancels them.
   */
  private readonly streams = new Set<grpc.ClientReadableStream<StreamEventsResponse__Output>>();
  /** What we unregistered, so that our streams drop reports taken before it (fences.ts). */
  private readonly fences = new UnregisterFences();

  private constructor(
    private readonly stub: UmmunotifyServiceClient,
    readonly socketPath: string,
  ) {}

  /** Connects to the daemon's gRPC socket, waiting up to `timeoutMs` for it to answer. */
  static async connect(socketPath: string, timeoutMs = 10_000): Promise<UmmunotifyClient> {
    const stub = new ummunotifyV1.UmmunotifyService(`unix:${socketPath}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      stub.waitForReady(Date.now() + timeoutMs, (e) => (e ? reject(new Error(`no daemon answers on ${socketPath}: ${e.message}`)) : resolve())),
    );
    return new UmmunotifyClient(stub, socketPath);
  }

  private call<Req, Res>(method: Unary<Req, Res>, request: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      method.call(this.stub, request, (error, response) => (error || response === undefined ? reject(fromServiceError(error)) : resolve(response))),
    );
  }

  /**
   * A call whose request is already encoded (wire.ts): for the batch
   * requests, whose generic encoding costs more than the daemon's work.
   */
  private callEncoded<M extends 'Register' | 'Unregister'>(method: M, request: Buffer): Promise<EncodedResponse[M]> {
    const definition = ummunotifyV1.UmmunotifyService.service[method];
    return new Promise((resolve, reject) => {
      this.stub.makeUnaryRequest(
        definition.path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => definition.responseDeserialize(bytes) as EncodedResponse[M],
        request,
        (error: grpc.ServiceError | null, response?: EncodedResponse[M]) =>
          error || response === undefined ? reject(fromServiceError(error)) : resolve(response),
      );
    });
  }

  /**
   * Called by the target itself: creates a userfaultfd (UFFD_USER_MODE_ONLY,
   * so no privilege is needed), hands it to the daemon, and closes our copy
   * whatever happens, so that a dead daemon can never leave us blocked.
   */
  async attachSelf(): Promise<string> {
    const uffd = native.createUffd();
    try {
      return (await this.call(this.stub.Attach, { fd: uffd })).engine;
    } finally {
      native.close(uffd);
    }
  }

  /** Hands over an fd of ours by number (for tests and other handoffs); we keep our copy. */
  async attachFd(fd: number): Promise<string> {
    return (await this.call(this.stub.Attach, { fd })).engine;
  }

  info(): Promise<Info> {
    return this.call(this.stub.GetInfo, {});
  }

  /** Registers one range or a batch; all or nothing. A value that is not a u64 is a RangeError. */
  async register(regs: Registration | readonly Registration[]): Promise<void> {
    const list = Array.isArray(regs) ? regs : [regs as Registration];
    await this.callEncoded('Register', encodeRegisterRequest(list));
  }

  /**
   * Unregisters one cookie or a batch; all or nothing. A cookie that is not
   * a u64 is a RangeError. Once it resolves, neither readEvents() nor a
   * stream of this client delivers a report for those cookies (a later
   * registration under the same cookie is reported as usual).
   */
  async unregister(cookies: bigint | readonly bigint[]): Promise<void> {
    const list = typeof cookies === 'bigint' ? [cookies] : cookies;
    const { epoch } = await this.callEncoded('Unregister', encodeUnregisterRequest(list));
    this.fences.record(list, BigInt(epoch));
  }

  /**
   * Drains the queue like read(2): invalidations, then Last; [] if nothing is
   * pending. With no limit (0), reads reply after reply until Last, however
   * many reports are queued; with a limit, one reply of at most that many
   * (and at most the daemon's max_reports_per_read).
   */
  async readEvents(maxReports = 0): Promise<Report[]> {
    if (!Number.isInteger(maxReports) || maxReports < 0 || maxReports > 0xffff_ffff) {
      throw new RangeError(`maxReports: ${maxReports} is not an unsigned 32-bit integer`);
    }
    const reports: Report[] = [];
    for (;;) {
      const reply = (await this.call(this.stub.ReadEvents, { maxReports })).reports.map(fromWire);
      for (const r of reply) reports.push(r);
      if (maxReports !== 0 || reply.length === 0 || reply.some((r) => r.kind !== 'invalidation')) return reports;
    }
  }

  /**
   * Every invalidation as it happens. Ends after a targetExited report, or
   * when the caller stops iterating (the subscription is cancelled at once).
   */
  async *streamEvents(): AsyncGenerator<Report> {
    const call = this.openStream();
    const fences = this.fences.reader();
    let done = false;
    try {
      for await (const message of call as AsyncIterable<StreamEventsResponse__Output>) {
        const epoch = BigInt(message.epoch);
        for (const wire of message.reports) {
          const report = fromWire(wire);
          if (fences.admits(report, epoch)) yield report;
        }
      }
      done = true;
    } catch (e) {
      throw fromServiceError(e);
    } finally {
      fences.close();
      if (!done) call.cancel();
    }
  }

  /**
   * A StreamEvents subscription to pull reports from, once the daemon has it
   * in place: every invalidation after this resolves is delivered to it.
   * cancel() drops it at once.
   */
  async subscribe(): Promise<Subscription> {
    const subscription = new Subscription(this.openStream(), this.fences.reader());
    try {
      await subscription.subscribed();
    } catch (e) {
      subscription.cancel();
      throw e;
    }
    return subscription;
  }

  private openStream(): grpc.ClientReadableStream<StreamEventsResponse__Output> {
    const call = this.stub.StreamEvents({});
    this.streams.add(call);
    call.on('close', () => this.streams.delete(call));
    return call;
  }

  /** Maps the counter page; check it with counter.changedSince(lastSeen). */
  async counter(): Promise<Counter> {
    const endpoint = await this.call(this.stub.GetCounterEndpoint, {});
    return mapCounter(endpoint.socketPath, endpoint.sealedMemfd);
  }

  /** Cancels open streams (their readers get CANCELLED) and closes the channel. */
  close(): void {
    for (const call of this.streams) call.cancel();
    this.streams.clear();
    this.stub.close();
  }
}
