// Conversions from the engine's reports to their wire form. uint64 travels
// as decimal strings (see PROTO_LOADER_OPTIONS); registrations come in
// through wire.ts instead.

import type { Report } from '../../proto/gen/ts/ummunotify/v1/Report.ts';
import { NativeSource, type NativeReport } from './native-api.ts';
import type { EventSource__Output } from './proto.ts';

const SOURCE_NAMES: Readonly<Record<NativeSource, EventSource__Output>> = {
  [NativeSource.Unmap]: 'EVENT_SOURCE_UNMAP',
  [NativeSource.Madvise]: 'EVENT_SOURCE_MADVISE',
  [NativeSource.Mremap]: 'EVENT_SOURCE_MREMAP',
  [NativeSource.Fork]: 'EVENT_SOURCE_FORK',
};

/**
 * The most reports one ReadEvents reply holds. gRPC implementations refuse
 * a received message over 4 MiB by default (grpc-js, grpcio, grpc++), and a
 * reply that cannot be delivered must not have drained the queue. A report
 * is at most 47 bytes on the wire (reports.test.ts encodes the worst case),
 * so a full reply stays near 3 MiB, whatever client reads it.
 */
export const MAX_REPORTS_PER_READ = 65_536;

export function sourceName(source: NativeSource): EventSource__Output {
  return SOURCE_NAMES[source] ?? 'EVENT_SOURCE_UNSPECIFIED';
}

export function toWireReport(report: NativeReport): Report {
  if (report.type === 'last') return { last: { counter: report.counter.toString() } };
  return {
    invalidation: {
      cookie: report.cookie.toString(),
      hint: report.hint,
      start: report.start.toString(),
      end: report.end.toString(),
      sources: report.sources.map(sourceName),
    },
  };
}

export function targetExitedReport(pid: number): Report {
  return { targetExited: { pid } };
}
