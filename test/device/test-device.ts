// `npm run test:device [-- --kernel K]...`: the conformance suite on the
// device engine, in node, python and c, and the differential fuzzer (the
// device engine, and both engines compared), inside a guest of each kernel
// with the module loaded, and, in the first guest, each library's handoff
// under Yama's ptrace_scope 1 (test/device/in-guest.sh and yama.sh do the
// guest's part).

import { join } from 'node:path';
import { DEFAULT_TIMEOUT_SECONDS } from '../../kernel/vm/args.ts';
import { REPO_ROOT } from '../../kernel/vm/kernels.ts';
import { parseTestKernelArgs } from '../../kernel/vm/suite.ts';
import { processSinks, runVm } from '../../kernel/vm/vm.ts';

const IN_GUEST = join(REPO_ROOT, 'test', 'device', 'in-guest.sh');

async function main(): Promise<number> {
  const args = parseTestKernelArgs(process.argv.slice(2));
  if (typeof args === 'string' || args.filters.length > 0) {
    process.stderr.write('usage: npm run test:device -- [--kernel K]...\n');
    return 2;
  }
  const summaries: string[] = [];
  for (const [i, kernel] of args.kernels.entries()) {
    // Yama's rule and the libraries' answer to it do not change between
    // these kernels; checking them in the first guest of a run saves the
    // others a few minutes of emulation.
    const yama = i === 0;
    let output = '';
    const result = await runVm(
      { kernel, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, installOnly: false, help: false, command: ['sh', IN_GUEST, ...(yama ? ['--yama'] : [])] },
      {
        ...processSinks,
        stdout: (chunk) => {
          output += Buffer.from(chunk).toString('utf8');
          process.stdout.write(chunk);
        },
      },
    );
    const lines = output.split('\n').filter((l) => /^# (conformance|fuzz|yama) \w+ on /.test(l));
    summaries.push(...lines);
    // Conformance in three languages, the fuzzer on the device and on both
    // engines (and where asked, Yama for the three libraries, under `run`,
    // and its control), and a clean exit: anything else fails.
    const passed = lines.filter((l) => /: PASS\b/.test(l)).length;
    const expected = yama ? 10 : 5;
    if (result.exitCode !== 0 || passed !== expected) {
      const parts = `conformance in 3 languages; the fuzzer on device and on both${yama ? '; Yama in 3, under run, and its control' : ''}`;
      summaries.push(`# kernel ${result.kver ?? kernel}: FAIL (guest exit status ${result.exitCode}, ${passed} of ${expected} passed: ${parts})`);
    }
  }
  process.stdout.write(`# ===== test:device summary =====\n${summaries.join('\n')}\n`);
  return summaries.some((l) => l.includes('FAIL')) ? 1 : 0;
}

process.exitCode = await main();
