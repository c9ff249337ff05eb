// Command-line handling for bench/cli.ts, pure so it can be unit-tested:
//   npm run bench [-- NAME... [--option value...]]
// Names come first; options after them go to the named benchmarks (each gets
// only the options it declares), so `npm run bench -- kernel --kernel 6.1`
// reads as "benchmark kernel, with --kernel 6.1".

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Benchmark, OptionValues } from './benchmark.ts';

export interface Plan {
  readonly help: boolean;
  readonly runs: ReadonlyArray<{ readonly bench: Benchmark; readonly options: OptionValues }>;
}

/**
 * Turns argv into the benchmarks to run and each one's options. Throws an
 * Error with a readable message on an unknown name or option, so that a typo
 * does not silently run with defaults.
 */
export function planRun(argv: readonly string[], registry: readonly Benchmark[]): Plan {
  const firstOption = argv.findIndex((a) => a.startsWith('-'));
  const names = firstOption < 0 ? [...argv] : argv.slice(0, firstOption);
  const rest = firstOption < 0 ? [] : argv.slice(firstOption);

  const selected: Benchmark[] = [];
  for (const name of names) {
    const b = registry.find((r) => r.name === name);
    if (!b) throw new Error(`unknown benchmark '${name}'; known: ${registry.map((r) => r.name).join(', ')}`);
    if (!selected.includes(b)) selected.push(b);
  }
  const chosen = selected.length ? selected : [...registry];

  // One parser for the union of the chosen benchmarks' options: an option no
  // chosen benchmark knows is an error (strict), one that several declare
  // reaches each of them.
  const config: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const b of chosen) {
    for (const [key, spec] of Object.entries(b.options)) {
      const existing = config[key];
      if (existing && existing.type !== spec.type) {
        throw new Error(`option --${key} is a ${existing.type} in one benchmark and a ${spec.type} in another`);
      }
      config[key] = { type: spec.type };
    }
  }
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: [...rest], options: config, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new Error(e instanceof Error ? e.message : String(e));
  }

  const runs = chosen.map((bench) => {
    const options: Record<string, string | boolean | undefined> = {};
    for (const [key, spec] of Object.entries(bench.options)) {
      const v = values[key];
      options[key] = typeof v === 'string' || typeof v === 'boolean' ? v : spec.default;
    }
    return { bench, options };
  });
  return { help: values['help'] === true, runs };
}

/** The text of `npm run bench -- --help`. */
export function usage(registry: readonly Benchmark[]): string {
  const lines = ['usage: npm run bench [-- NAME... [OPTIONS]]', '', 'Runs the named benchmarks (all when none is named) and prints one JSON line per figure.', ''];
  for (const b of registry) {
    lines.push(`  ${b.name}: ${b.summary}`);
    for (const [key, spec] of Object.entries(b.options)) {
      const arg = spec.type === 'string' ? ` <${key}>` : '';
      const def = spec.default === undefined ? '' : ` (default ${String(spec.default)})`;
      lines.push(`      --${key}${arg}  ${spec.help}${def}`);
    }
  }
  return lines.join('\n') + '\n';
}
