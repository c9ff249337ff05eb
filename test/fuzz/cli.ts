// `npm run fuzz -- [options]`: the differential fuzzer as a long-running
// command (test/fuzz/fuzz.test.ts runs a bounded number of steps in the test
// command). Prints the seed first, and on failure the shortest sequence
// found with the command line that replays it.

import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULTS, defaultEngine, describeFailure, fuzz } from './fuzz.ts';
import type { EngineKind } from './model.ts';

const USAGE = `usage: npm run fuzz -- [--engine uffd|device|both] [--seed N] [--runs N] [--steps N]
                     [--path P] [--max-registrations N] [--time-limit SECONDS] [--file-dir DIR]
  --engine     uffd, device (needs /dev/ummunotify), or both in step, compared
               (default: device where the module is loaded, else uffd)
  --seed       fast-check seed (default: random, printed)
  --runs       operation sequences to try (default ${DEFAULTS.runs})
  --steps      most operations per sequence (default ${DEFAULTS.steps})
  --path       with --seed, replay a reported failure
  --time-limit stop after this many seconds and report (default ${DEFAULTS.timeLimitMs / 1000})`;

function main(): Promise<number> | number {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        engine: { type: 'string' },
        seed: { type: 'string' },
        runs: { type: 'string' },
        steps: { type: 'string' },
        path: { type: 'string' },
        'max-registrations': { type: 'string' },
        'time-limit': { type: 'string' },
        'file-dir': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const engineArg = values.engine ?? defaultEngine();
  if (!['uffd', 'device', 'both'].includes(engineArg)) {
    process.stderr.write(`--engine: ${engineArg} is not uffd, device or both\n${USAGE}\n`);
    return 2;
  }
  const engines: EngineKind[] = engineArg === 'both' ? ['device', 'uffd'] : [engineArg as EngineKind];
  const int = (name: string, v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name}: ${v} is not a whole number`);
    return n;
  };
  const seed = int('seed', values.seed, Math.floor(Math.random() * 0x7fff_ffff));
  const options = {
    engines,
    seed,
    runs: int('runs', values.runs, DEFAULTS.runs),
    steps: int('steps', values.steps, DEFAULTS.steps),
    ...(values.path === undefined ? {} : { path: values.path }),
    maxRegistrations: int('max-registrations', values['max-registrations'], DEFAULTS.maxRegistrations),
    timeLimitMs: int('time-limit', values['time-limit'], DEFAULTS.timeLimitMs / 1000) * 1000,
    fileDir: values['file-dir'] ?? tmpdir(),
    streamTimeoutMs: DEFAULTS.streamTimeoutMs,
  };
  process.stdout.write(`# fuzz: ${engines.join(' + ')}, seed ${seed}, ${options.runs} runs of up to ${options.steps} operations\n`);
  return fuzz(options).then((result) => {
    if (result.ok) {
      process.stdout.write(`# fuzz on ${engines.join(' + ')}: PASS (${result.runs} runs, seed ${seed})\n# exercised: ${result.stats}\n`);
      return 0;
    }
    process.stdout.write(`${describeFailure(engines, result)}\n`);
    return 1;
  });
}

process.exitCode = await main();
