// Command-line parsing for `npm run vm`. Pure: no I/O, so it is unit-tested.

export const DEFAULT_KERNEL = '6.1';
/** Long enough for the whole selftest under TCG on a slow CI machine, short enough to notice a hang. */
export const DEFAULT_TIMEOUT_SECONDS = 1200;

export interface VmArgs {
  /** `6.1`, `6.12` or a full version such as `6.12.117+deb12-amd64`. */
  readonly kernel: string;
  readonly timeoutSeconds: number;
  /** Install the packages the kernel needs, then stop (used by scripts/setup.sh). */
  readonly installOnly: boolean;
  readonly help: boolean;
  /** argv to run in the guest; everything after `--` (or from the first bare word) verbatim. */
  readonly command: readonly string[];
}

export type ParseResult =
  | { readonly ok: true; readonly args: VmArgs }
  | { readonly ok: false; readonly error: string };

export const USAGE = `usage: npm run vm -- [--kernel 6.1|6.12|VERSION] [--timeout SECONDS] [--install-only] -- CMD [ARG...]

Builds kernel/ummunotify.c for the chosen Debian kernel, boots that kernel under
QEMU (TCG), loads the module, and runs CMD as root inside a read-only view of
this machine's root filesystem, in the current directory, with a writable /tmp.
Exits with CMD's exit status; 124 when the guest times out; 125 when the build,
the boot or the guest itself fails (panic, oops, missing /dev/ummunotify), or
when the kernel logged a WARN/oops while CMD ran.

  --kernel K       6.1 (Debian's default kernel), 6.12 (newest 6.12 with headers)
                   or a full version such as 6.12.117+deb12-amd64 (default ${DEFAULT_KERNEL})
  --timeout S      kill the guest after S seconds (default ${DEFAULT_TIMEOUT_SECONDS})
  --install-only   install the packages for the kernel and the tools, then exit
`;

/** Options that take a value, with the check for that value. */
const VALUE_OPTIONS = new Set(['--kernel', '--timeout']);

function parseTimeout(text: string): number | undefined {
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 ? value : undefined;
}

export function parseArgs(argv: readonly string[]): ParseResult {
  let kernel = DEFAULT_KERNEL;
  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  let installOnly = false;
  let help = false;
  let command: readonly string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      command = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-')) {
      // Like env(1) and timeout(1): the first bare word starts the command.
      command = argv.slice(i);
      break;
    }
    let name = arg;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (eq > 0) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    }
    if (VALUE_OPTIONS.has(name) && value === undefined) {
      value = argv[i + 1];
      if (value === undefined) return { ok: false, error: `${name} needs a value` };
      i++;
    }
    switch (name) {
      case '--kernel':
        if (value === undefined || value === '') return { ok: false, error: '--kernel needs a value' };
        kernel = value;
        break;
      case '--timeout': {
        const t = parseTimeout(value ?? '');
        if (t === undefined) return { ok: false, error: `--timeout needs a positive number of seconds, got ${JSON.stringify(value)}` };
        timeoutSeconds = t;
        break;
      }
      case '--install-only':
      case '--help':
      case '-h':
        if (value !== undefined) return { ok: false, error: `${name} takes no value` };
        if (name === '--install-only') installOnly = true;
        else help = true;
        break;
      default:
        return { ok: false, error: `unknown option ${JSON.stringify(arg)}` };
    }
  }

  if (!help && !installOnly && command.length === 0) {
    return { ok: false, error: 'no command given (put it after --)' };
  }
  return { ok: true, args: { kernel, timeoutSeconds, installOnly, help, command } };
}
