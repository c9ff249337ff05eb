// Reports as a TypeScript user wants them: a tagged union with bigints,
// converted from the wire form (uint64 as decimal strings).

import type { Report__Output } from '../../../proto/gen/ts/ummunotify/v1/Report.ts';
import type { EventSource__Output } from '../../../proto/gen/ts/ummunotify/v1/EventSource.ts';

export type EventSource = 'unmap' | 'madvise' | 'mremap' | 'fork' | 'unknown';

export type Report =
  | { readonly kind: 'invalidation'; readonly cookie: bigint; readonly hint: boolean; readonly start: bigint; readonly end: bigint; readonly sources: readonly EventSource[] }
  | { readonly kind: 'last'; readonly counter: bigint }
  | { readonly kind: 'targetExited'; readonly pid: number };

const SOURCES: Readonly<Record<EventSource__Output, EventSource>> = {
  EVENT_SOURCE_UNSPECIFIED: 'unknown',
  EVENT_SOURCE_UNMAP: 'unmap',
  EVENT_SOURCE_MADVISE: 'madvise',
  EVENT_SOURCE_MREMAP: 'mremap',
  EVENT_SOURCE_FORK: 'fork',
};

export function fromWire(report: Report__Output): Report {
  if (report.invalidation) {
    const i = report.invalidation;
    return { kind: 'invalidation', cookie: BigInt(i.cookie), hint: i.hint, start: BigInt(i.start), end: BigInt(i.end), sources: i.sources.map((s) => SOURCES[s]) };
  }
  if (report.last) return { kind: 'last', counter: BigInt(report.last.counter) };
  if (report.targetExited) return { kind: 'targetExited', pid: report.targetExited.pid };
  throw new Error('report with no kind: client and daemon disagree on the contract');
}

/** One line for people: what ummunotifyctl prints. */
export function describe(report: Report): string {
  switch (report.kind) {
    case 'invalidation':
      return `inval cookie=${report.cookie} [0x${report.start.toString(16)}, 0x${report.end.toString(16)})${report.hint ? ' hint' : ''}${report.sources.length ? ` (${report.sources.join(',')})` : ''}`;
    case 'last':
      return `last counter=${report.counter}`;
    case 'targetExited':
      return `target ${report.pid} exited`;
  }
}
