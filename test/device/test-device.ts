// `npm run test:device [-- --kernel K]...`: the conformance suite on the
// device engine, in node, python and c, inside a guest of each kernel with
// the module loaded, and each library's handoff under Yama's ptrace_scope 1
// (test/device/in-guest.sh and yama.sh do the guest's part).

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
  for (const kernel of args.kernels) {
    let output = '';
    const result = await runVm(
      { kernel, timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, installOnly: false, help: false, command: ['sh', IN_GUEST] },
      {
        ...processSinks,
        stdout: (chunk) => {
          output += Buffer.from(chunk).toString('utf8');
          process.stdout.write(chunk);
        },
      },
    );
    const lines = output.split('\n').filter((l) => /^# (conformance|yama) \w+ on /.test(l));
    summaries.push(...lines);
    // Conformance in three languages, Yama for those three, `run` and the
    // control, and a clean exit: anything else fails.
    const passed = lines.filter((l) => /: PASS\b/.test(l)).length;
    if (result.exitCode !== 0 || passed !== 8) {
      summaries.push(
        `# kernel ${result.kver ?? kernel}: FAIL (guest exit status ${result.exitCode}, ${passed} of 8 passed: conformance in 3 languages; Yama in 3, under run, and its control)`,
      );
    }
  }
  process.stdout.write(`# ===== test:device summary =====\n${summaries.join('\n')}\n`);
  return summaries.some((l) => l.includes('FAIL')) ? 1 : 0;
}

process.exitCode = await main();
