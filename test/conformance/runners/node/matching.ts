// Matching an answer's reports against a scenario's `expect`
// (test/conformance/README.md, "Matching reports"). Pure: the caller
// evaluates expressions and says which engine answered.

import type { Report } from '../../../../clients/node/src/reports.ts';
import type { EngineName, Expr, Matcher } from './scenario.ts';

export interface MatchContext {
  readonly engine: EngineName;
  readonly evaluate: (e: Expr) => bigint;
}

const MATCHER_FIELDS: Readonly<Record<string, readonly string[]>> = {
  invalidation: ['cookie', 'hint', 'start', 'end', 'sources'],
  last: [],
  target_exited: [],
};

function kindOf(matcher: Matcher): string {
  const keys = Object.keys(matcher);
  const kind = keys[0];
  if (keys.length !== 1 || kind === undefined || !(kind in MATCHER_FIELDS)) throw new Error(`matcher ${JSON.stringify(matcher)}: expected one of invalidation, last, target_exited`);
  const body = (matcher as Record<string, unknown>)[kind];
  if (typeof body !== 'object' || body === null) throw new Error(`matcher ${JSON.stringify(matcher)}: the ${kind} matcher is an object`);
  for (const field of Object.keys(body)) if (!MATCHER_FIELDS[kind]?.includes(field)) throw new Error(`matcher ${JSON.stringify(matcher)}: unknown field ${field}`);
  return kind;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function invalidationMismatch(report: Extract<Report, { kind: 'invalidation' }>, m: Record<string, unknown>, ctx: MatchContext): string | undefined {
  if (m.hint !== undefined && report.hint !== m.hint) return `hint ${report.hint}, expected ${String(m.hint)}`;
  if (m.start !== undefined && report.start !== ctx.evaluate(m.start as Expr)) return `start ${hex(report.start)}, expected ${hex(ctx.evaluate(m.start as Expr))} (${String(m.start)})`;
  if (m.end !== undefined && report.end !== ctx.evaluate(m.end as Expr)) return `end ${hex(report.end)}, expected ${hex(ctx.evaluate(m.end as Expr))} (${String(m.end)})`;
  // Only the uffd engine knows causes; the device reports none.
  const expected = ctx.engine === 'uffd' ? ((m.sources as string[] | undefined) ?? undefined) : [];
  if (expected !== undefined && report.sources.join(',') !== expected.join(',')) return `sources [${report.sources.join(', ')}], expected [${expected.join(', ')}]`;
  return undefined;
}

/** Why `reports` does not match `expect`, or undefined if it does. */
export function mismatch(reports: readonly Report[], expect: readonly Matcher[], ctx: MatchContext): string | undefined {
  const kinds = expect.map(kindOf);
  const got = reports.filter((r) => r.kind === 'invalidation');
  const want = expect.filter((_, i) => kinds[i] === 'invalidation').map((m) => (m as unknown as { invalidation: Record<string, unknown> }).invalidation);
  const rest = reports.filter((r) => r.kind !== 'invalidation');
  const restKinds = kinds.filter((k) => k !== 'invalidation');

  const byCookie = new Map<bigint, Extract<Report, { kind: 'invalidation' }>>();
  for (const r of got) {
    if (r.kind !== 'invalidation') continue;
    if (byCookie.has(r.cookie)) return `cookie ${r.cookie} reported twice in one answer (reports coalesce)`;
    byCookie.set(r.cookie, r);
  }
  const wantCookies = want.map((m) => BigInt(m.cookie as number));
  const gotCookies = [...byCookie.keys()];
  const missing = wantCookies.filter((c) => !byCookie.has(c));
  const unexpected = gotCookies.filter((c) => !wantCookies.includes(c));
  if (missing.length || unexpected.length) {
    return `invalidated cookies [${gotCookies.join(', ')}], expected [${wantCookies.join(', ')}]`;
  }
  for (const m of want) {
    const why = invalidationMismatch(byCookie.get(BigInt(m.cookie as number)) as Extract<Report, { kind: 'invalidation' }>, m, ctx);
    if (why) return `cookie ${String(m.cookie)}: ${why}`;
  }
  const firstOther = reports.findIndex((r) => r.kind !== 'invalidation');
  if (firstOther >= 0 && reports.slice(firstOther).some((r) => r.kind === 'invalidation')) return 'an invalidation follows a last or target_exited report';
  const restNames = rest.map((r) => (r.kind === 'targetExited' ? 'target_exited' : r.kind));
  if (restNames.join(',') !== restKinds.join(',')) return `reports after the invalidations [${restNames.join(', ')}], expected [${restKinds.join(', ')}]`;
  return undefined;
}
