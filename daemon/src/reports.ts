// Conversions between the engine's reports and registrations and their wire
// form. uint64 travels as decimal strings (see PROTO_LOADER_OPTIONS).

import * as grpc from '@grpc/grpc-js';
import type { Registration__Output } from '../../proto/gen/ts/ummunotify/v1/Registration.ts';
import type { Report } from '../../proto/gen/ts/ummunotify/v1/Report.ts';
import { NativeSource, type NativeRegistration, type NativeReport } from './native-api.ts';
import type { EventSource__Output } from './proto.ts';
import { RpcError } from './status.ts';

const SOURCE_NAMES: Readonly<Record<NativeSource, EventSource__Output>> = {
  [NativeSource.Unmap]: 'EVENT_SOURCE_UNMAP',
  [NativeSource.Madvise]: 'EVENT_SOURCE_MADVISE',
  [NativeSource.Mremap]: 'EVENT_SOURCE_MREMAP',
  [NativeSource.Fork]: 'EVENT_SOURCE_FORK',
};

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

const UINT64_MAX = (1n << 64n) - 1n;

/** A uint64 field as the loader hands it over; anything else is the client's mistake. */
export function parseUint64(text: string, field: string): bigint {
  if (!/^\d+$/.test(text)) throw new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: not an unsigned integer: ${JSON.stringify(text)}`);
  const value = BigInt(text);
  if (value > UINT64_MAX) throw new RpcError(grpc.status.INVALID_ARGUMENT, `${field}: ${text} does not fit in 64 bits`);
  return value;
}

export function toNativeRegistrations(regs: readonly Registration__Output[]): NativeRegistration[] {
  return regs.map((r, i) => ({
    cookie: parseUint64(r.cookie, `registrations[${i}].cookie`),
    start: parseUint64(r.start, `registrations[${i}].start`),
    end: parseUint64(r.end, `registrations[${i}].end`),
  }));
}
