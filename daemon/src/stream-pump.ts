// One StreamEvents subscriber: moves reports from its coalescing queue in the
// engine to its gRPC stream, honouring HTTP/2 flow control. While the stream
// cannot take more (write() returned false), reports stay coalesced in the
// engine, one per registration, instead of piling up in memory here.

import type * as grpc from '@grpc/grpc-js';
import type { StreamEventsRequest__Output } from '../../proto/gen/ts/ummunotify/v1/StreamEventsRequest.ts';
import type { StreamEventsResponse } from '../../proto/gen/ts/ummunotify/v1/StreamEventsResponse.ts';
import type { NativeSubscription } from './native-api.ts';
import { targetExitedReport, toWireReport } from './reports.ts';

/** Reports per message: large enough to amortise framing, small enough to stay under message limits. */
export const STREAM_BATCH = 1024;

export type EventStream = grpc.ServerWritableStream<StreamEventsRequest__Output, StreamEventsResponse>;

export class StreamPump {
  private waitingForDrain = false;
  /** The first message goes out at once, reports or not: it tells the subscriber its subscription is in place. */
  private greeted = false;
  private ending: { readonly exitedPid: number | undefined } | undefined;
  private closed = false;

  constructor(
    private readonly call: EventStream,
    private readonly subscription: NativeSubscription,
    private readonly counter: () => bigint,
    private readonly onClosed: (pump: StreamPump) => void,
  ) {
    // A cancelled subscriber is dropped at once, with its queue.
    call.once('cancelled', () => this.close());
    call.once('error', () => this.close());
    call.once('close', () => this.close());
  }

  /** Sends what is queued, as far as flow control allows. */
  pump(): void {
    while (!this.closed && !this.waitingForDrain) {
      const { reports, epoch } = this.subscription.take(STREAM_BATCH);
      if (reports.length === 0 && this.greeted) break;
      this.greeted = true;
      const more = this.call.write({ reports: reports.map(toWireReport), counter: this.counter().toString(), epoch: epoch.toString() });
      if (!more) {
        this.waitingForDrain = true;
        this.call.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
      }
    }
    this.maybeEnd();
  }

  /** Ends the stream once everything queued is sent: with TargetExited if the target is gone. */
  end(exitedPid: number | undefined): void {
    this.ending ??= { exitedPid };
    this.pump();
  }

  private maybeEnd(): void {
    if (this.closed || this.ending === undefined || this.waitingForDrain || this.subscription.pending() > 0) return;
    const { exitedPid } = this.ending;
    if (exitedPid !== undefined) this.call.write({ reports: [targetExitedReport(exitedPid)], counter: this.counter().toString() });
    this.call.end();
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.close();
    this.onClosed(this);
  }
}
