// `npm run test:kernel [-- --kernel K]... [-- FILTER...]`: the C selftest in
// a guest for each kernel, judged strictly. The last line of output is
// `N passed, N failed` (TAP cases across all kernels); CI reads it.

import { join } from 'node:path';
import { DEFAULT_TIMEOUT_SECONDS } from './args.ts';
import { REPO_ROOT } from './kernels.ts';
import { makeKernel } from './build.ts';
import { describeExit } from './proc.ts';
import { parseTestKernelArgs, totalsLine } from './suite.ts';
import { judgeTap, parseTap, type TapVerdict } from './tap.ts';
import { processSinks, runVm } from './vm.ts';

const SELFTEST = join(REPO_ROOT, 'build', 'kernel', 'selftest', 'ummunotify_test');

async function main(): Promise<number> {
  const args = parseTestKernelArgs(process.argv.slice(2));
  if (typeof args === 'string') {
    process.stderr.write(`test:kernel: ${args}\n`);
    return 2;
  }
  const out = (line: string) => void process.stdout.write(`${line}\n`);

  const build = await makeKernel(['selftest']);
  process.stderr.write(build.output);
  if (build.code !== 0) {
    out(`test:kernel: building the selftest failed (${describeExit(build)}); no kernel was tested`);
    const notRun: TapVerdict = { passed: 0, failed: 1, problems: ['selftest did not build'] };
    out(totalsLine(args.kernels.map(() => notRun)));
    return 1;
  }

  const verdicts: TapVerdict[] = [];
  const summaries: string[] = [];
  for (const kernel of args.kernels) {
    out(`# ===== ummunotify selftest, kernel ${kernel} =====`);
    let tap = '';
    const result = await runVm(
      { kernel, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, installOnly: false, help: false, command: [SELFTEST, ...args.filters] },
      {
        ...processSinks,
        stdout: (chunk) => {
          tap += Buffer.from(chunk).toString('utf8');
          process.stdout.write(chunk);
        },
      },
    );
    const verdict = judgeTap(parseTap(tap), result.exitCode);
    verdicts.push(verdict);
    const name = result.kver ?? kernel;
    const status = verdict.problems.length === 0 ? 'PASS' : 'FAIL';
    summaries.push(`# kernel ${name}: ${status}: ${verdict.passed} ok, ${verdict.failed} not ok, exit status ${result.exitCode}`);
    for (const problem of verdict.problems) summaries.push(`#   ${problem}`);
  }

  out('# ===== summary =====');
  for (const line of summaries) out(line);
  out(totalsLine(verdicts));
  return verdicts.every((v) => v.problems.length === 0) ? 0 : 1;
}

process.exitCode = await main();
