// `npm run vm -- [options] -- CMD...`: see USAGE in args.ts.

import { USAGE, parseArgs } from './args.ts';
import { runVm } from './vm.ts';

// A reader that stops early (`| head`) must not crash the harness and strand
// its guest; the run goes on to its end and the rest of the output is dropped.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

const parsed = parseArgs(process.argv.slice(2));
if (!parsed.ok) {
  process.stderr.write(`vm: ${parsed.error}\n${USAGE}`);
  process.exit(2);
}
if (parsed.args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const result = await runVm(parsed.args);
// exitCode rather than exit(): let stdout drain when it is a pipe.
process.exitCode = result.exitCode;
