// A StreamEvents subscription as a queue the caller pulls from with a
// timeout, and cancels at once (an async generator cannot be cancelled while
// its next() is pending; a gRPC call can).

import type * as grpc from '@grpc/grpc-js';
import type { StreamEventsResponse__Output } from '../../../proto/gen/ts/ummunotify/v1/StreamEventsResponse.ts';
import { fromServiceError, UmmunotifyError } from './errors.ts';
import { fromWire, type Report } from './reports.ts';

export class Subscription {
  private readonly queue: Report[] = [];
  private wake: (() => void) | undefined;
  private failure: UmmunotifyError | undefined;
  private ended = false;
  private cancelled = false;

  constructor(private readonly call: grpc.ClientReadableStream<StreamEventsResponse__Output>) {
    call.on('data', (message: StreamEventsResponse__Output) => {
      for (const report of message.reports) this.queue.push(fromWire(report));
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

  /** The next report; undefined after `timeoutMs` with none, or once the stream has ended. */
  async next(timeoutMs: number): Promise<Report | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = this.queue.shift();
      if (report) return report;
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
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
    this.call.cancel();
  }
}
