// The contract between bench/cli.ts and each benchmark (one file or folder each).

import type { Figure } from './figures.ts';

/** A command-line option a benchmark accepts, in node:util parseArgs' terms (no `multiple`: one value each). */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly default?: string | boolean;
  /** One line for `npm run bench -- --help`. */
  readonly help: string;
}

/** Parsed option values, keyed by long option name. */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface Benchmark {
  readonly name: string;
  /** One line for `npm run bench -- --help`. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /**
   * Runs the benchmark and returns its figures. Progress goes to stderr only:
   * stdout belongs to the CLI's JSON lines. Throws when the run fails or a
   * figure is missing; a missed target is not a failure.
   */
  run(options: OptionValues): Promise<Figure[]>;
}
