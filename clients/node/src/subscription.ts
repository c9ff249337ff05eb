// A StreamEvents subscription as a queue the caller pulls from with a
// timeout, and cancels at once (an async generator cannot be cancelled while
// its next() is pending; a gRPC call can).

import type * as grpc from '@grpc/grpc-js';
import type { StreamEventsResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/StreamEventsResponse.ts';
import { fromServiceError, UmmunotifyError } from './errors.ts';
import type { FenceReader } from './fences.ts';
import { fromWire, type Report } from './reports.ts';

export class Subscription {
  /** Received reports with the epoch of their batch, checked against our fences as they are handed out. */
  private readonly queue: { readonly report: Report; readonly epoch: bigint }[] = [];
  private wake: (() => void) | undefined;
  private failure: UmmunotifyError | undefined;
  private ended = false;
  private cancelled = false;
  /** Settles with the first message (the daemon has the subscription in place) or the stream's end. */
  private readonly inPlace: Promise<void>;

  constructor(
    private readonly call: grpc.ClientReadableStream<StreamEventsResponse__Output>,
    private readonly fences: FenceReader,
  ) {
    this.inPlace = new Promise<void>((resolve, reject) => {
      call.once('data', () => resolve());
      call.once('error', (e: unknown) => reject(fromServiceError(e)));
      call.once('end', () => resolve());
    });
    // Whoever waits on it sees the failure; nobody else needs to.
    this.inPlace.catch(() => undefined);
    call.on('data', (message: StreamEventsResponse__Output) => {
      const epoch = BigInt(message.epoch);
      for (const report of message.reports) this.queue.push({ report: fromWire(report), epoch });
      this.notify();
    });
    call.on('error', (e: unknown) => {
      if (!this.cancelled) this.failure = fromServiceError(e);
      this.ended = true;
      this.notify();
    });
    call.on('end', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Resolves once the daemon has the subscription in place (its first
   * message came): every invalidation from then on will be delivered.
   * Rejects with the daemon's status if it refused the subscription.
   */
  subscribed(): Promise<void> {
    return this.inPlace;
  }

  /** The next report; undefined after `timeoutMs` with none, or once the stream has ended. */
  async next(timeoutMs: number): Promise<Report | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const entry = this.queue.shift();
      if (entry) {
        if (this.fences.admits(entry.report, entry.epoch)) return entry.report;
        continue;
      }
      // Our fences are let go only once nothing received is left to check.
      if (this.failure) {
        this.fences.close();
        throw this.failure;
      }
      if (this.ended) {
        this.fences.close();
        return undefined;
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Drops the subscription on the daemon's side now. */
  cancel(): void {
    this.cancelled = true;
    this.fences.close();
    this.call.cancel();
  }
}
