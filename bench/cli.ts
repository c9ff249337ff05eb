// Entry point of `npm run bench [-- NAME... [OPTIONS]]`.
// stdout: only the JSON figure lines (one per figure, machine-parseable);
// stderr: progress and the human table. Exit 1 when any benchmark failed
// (its run failed or a figure was missing), 2 on bad arguments; a missed
// target is reported in the table but is not a failure.

import { planRun, usage } from './args.ts';
import { formatFigureLine, formatTable, type Figure } from './figures.ts';
import { benchmarks } from './registry.ts';

async function main(argv: readonly string[]): Promise<number> {
  let plan;
  try {
    plan = planRun(argv, benchmarks);
  } catch (e) {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n\n${usage(benchmarks)}`);
    return 2;
  }
  if (plan.help) {
    process.stdout.write(usage(benchmarks));
    return 0;
  }

  const all: Figure[] = [];
  const failed: string[] = [];
  for (const { bench, options } of plan.runs) {
    process.stderr.write(`bench: running ${bench.name}\n`);
    try {
      const figures = await bench.run(options);
      for (const f of figures) process.stdout.write(formatFigureLine(f) + '\n');
      all.push(...figures);
    } catch (e) {
      // Keep going: one broken benchmark should not hide the others' figures.
      failed.push(bench.name);
      process.stderr.write(`bench: ${bench.name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  if (all.length) process.stderr.write('\n' + formatTable(all));
  if (failed.length) {
    process.stderr.write(`bench: FAILED: ${failed.join(', ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
