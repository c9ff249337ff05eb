// Runs the differential fuzzer: random operation sequences on a real target
// through a real daemon, each step checked against the reference model (and,
// with two engines, the engines against each other); a failure is shrunk by
// fast-check to a short sequence and reported with the seed and path that
// replay it.

import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { commandArbitraries, settle } from './commands.ts';
import { FuzzStats, type LaneOptions } from './lane.ts';
import type { EngineKind } from './model.ts';
import { Rig } from './rig.ts';

export interface FuzzOptions {
  /** One engine, or two driven in step and compared. */
  readonly engines: readonly EngineKind[];
  readonly seed: number;
  readonly runs: number;
  /** The most operations in one run. */
  readonly steps: number;
  /** fast-check's replay path of an earlier failure (with its seed). */
  readonly path?: string;
  readonly maxRegistrations: number;
  readonly fileDir: string;
  readonly streamTimeoutMs: number;
  /** Stop (and report what was found so far) after this long. */
  readonly timeLimitMs: number;
  readonly daemonEnv?: NodeJS.ProcessEnv;
}

export type FuzzResult =
  | { readonly ok: true; readonly runs: number; readonly seed: number; readonly stats: FuzzStats }
  | { readonly ok: false; readonly seed: number; readonly path: string | undefined; readonly steps: readonly string[]; readonly error: string; readonly report: string; readonly stats: FuzzStats };

export const DEFAULTS = {
  runs: 100,
  steps: 40,
  maxRegistrations: 48,
  streamTimeoutMs: 10_000,
  timeLimitMs: 20 * 60_000,
} as const;

/** The engine the machine offers: the device where the module is loaded, else uffd. */
export function defaultEngine(): EngineKind {
  return existsSync('/dev/ummunotify') ? 'device' : 'uffd';
}

export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const stats = new FuzzStats();
  const lanes: LaneOptions[] = options.engines.map((engine) => ({
    stats,
    engine,
    maxRegistrations: options.maxRegistrations,
    fileDir: options.fileDir,
    streamTimeoutMs: options.streamTimeoutMs,
    ...(options.daemonEnv === undefined ? {} : { daemonEnv: options.daemonEnv }),
  }));
  let rig = await Rig.start(lanes);
  try {
    const property = fc.asyncProperty(fc.commands(commandArbitraries, { maxCommands: options.steps, size: 'max' }), async (cmds) => {
      rig = await rig.reset();
      await fc.asyncModelRun(() => ({ model: {}, real: rig }), cmds);
      // A miss can hide until the queues are read: every run ends by reading them all.
      await settle(rig);
    });
    const details = await fc.check(property, {
      seed: options.seed,
      numRuns: options.runs,
      ...(options.path === undefined ? {} : { path: options.path }),
      interruptAfterTimeLimit: options.timeLimitMs,
      markInterruptAsFailure: false,
    });
    if (!details.failed) return { ok: true, runs: details.numRuns, seed: options.seed, stats };
    // fast-check's counterexample: its commands, wrapped, each knowing whether it ran.
    const ran = (details.counterexample?.[0] ?? []) as Iterable<{ readonly hasRan: boolean; toString(): string }>;
    const steps = [...ran].filter((c) => c.hasRan).map((c) => c.toString());
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    return { ok: false, seed: details.seed, path: details.counterexamplePath ?? undefined, steps, error, report: fc.defaultReportMessage(details) ?? error, stats };
  } finally {
    await rig.close();
  }
}

/** What a person needs to see, and to replay, a failure. */
export function describeFailure(engines: readonly EngineKind[], r: Extract<FuzzResult, { ok: false }>): string {
  return [
    `# fuzz FAILED on ${engines.join(' + ')}: ${r.error}`,
    `# the shortest sequence found (${r.steps.length} operation${r.steps.length === 1 ? '' : 's'}, then a final read and stream drain):`,
    ...r.steps.map((s, i) => `#   ${i + 1}. ${s}`),
    `# replay: npm run fuzz -- --engine ${engines.length > 1 ? 'both' : engines[0]} --seed ${r.seed}${r.path ? ` --path ${r.path}` : ''}`,
  ].join('\n');
}
