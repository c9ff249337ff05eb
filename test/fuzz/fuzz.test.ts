// The differential fuzzer in the test command: a bounded run on this host's
// uffd engine (the guests run it on the device engine, and both engines
// compared: test/device/in-guest.sh), and its own test: an engine broken on
// purpose must be caught, with a seed and a short sequence that replay it.
//
// FUZZ_SEED replays a seed; otherwise each run draws one and prints it.

import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, describeFailure, fuzz, type FuzzOptions } from './fuzz.ts';
import { REPO } from './paths.ts';
import { TARGET_BINARY } from './target.ts';

const MUTANT = join(REPO, 'test', 'fuzz', 'mutant', 'build', 'Release', 'ummunotify_mutant.node');

function options(overrides: Partial<FuzzOptions>): FuzzOptions {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fff_ffff);
  return {
    engines: ['uffd'],
    seed,
    runs: 150,
    steps: 40,
    maxRegistrations: DEFAULTS.maxRegistrations,
    fileDir: tmpdir(),
    streamTimeoutMs: DEFAULTS.streamTimeoutMs,
    timeLimitMs: 5 * 60_000,
    ...overrides,
  };
}

describe('the differential fuzzer', () => {
  it('finds the target binary and the broken engine it needs (npm run build builds both)', () => {
    expect(existsSync(TARGET_BINARY), `${TARGET_BINARY}: npm run build:c builds it`).toBe(true);
    expect(existsSync(MUTANT), `${MUTANT}: npm run build:native builds it`).toBe(true);
  });

  it('on the uffd engine, random operation sequences match the reference model, and every kind of operation ran', { timeout: 10 * 60_000 }, async () => {
    const o = options({});
    process.stdout.write(`# fuzz (uffd): seed ${o.seed}, ${o.runs} runs of up to ${o.steps} operations\n`);
    const result = await fuzz(o);
    process.stdout.write(`# fuzz (uffd): ${result.ok ? 'PASS' : 'FAIL'}; exercised: ${result.stats}\n`);
    expect(result.ok, result.ok ? '' : describeFailure(o.engines, result)).toBe(true);
    // A pass proves nothing if nothing happened.
    for (const op of ['map', 'munmap', 'madvise', 'mremap', 'brk-grow', 'brk-shrink', 'fork', 'write']) expect(result.stats.ops.get(op) ?? 0, op).toBeGreaterThan(0);
    expect(result.stats.registered).toBeGreaterThan(50);
    expect(result.stats.refused).toBeGreaterThan(50);
    expect(result.stats.mustHits).toBeGreaterThan(50);
    expect(result.stats.reports).toBeGreaterThan(100);
  });

  it('catches an engine that forgets one registration in ten, and shrinks it to a short sequence with its seed (the control)', { timeout: 10 * 60_000 }, async () => {
    const o = options({ daemonEnv: { ...process.env, UMMUNOTIFY_ADDON: MUTANT } });
    const result = await fuzz(o);
    expect(result.ok, `the broken engine passed ${o.runs} runs of seed ${o.seed}`).toBe(false);
    if (result.ok) return;
    process.stdout.write(`${describeFailure(o.engines, result)}\n`);
    // A forgotten registration shows as a report that never came, or a
    // counter that had not moved when the syscall returned.
    expect(result.error).toMatch(/SILENT MISS|counter had not moved/);
    expect(result.seed).toBe(o.seed);
    expect(result.steps.length).toBeGreaterThan(0);
    expect(result.steps.length).toBeLessThanOrEqual(15);
  });
});
