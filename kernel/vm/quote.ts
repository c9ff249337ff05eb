// Quoting of the guest command. The command reaches the guest as a POSIX sh
// script in the scratch directory, never through the kernel command line,
// which has a length limit and its own (lossy) quoting rules.

/** Words made only of these characters mean the same to sh when left bare. */
const SAFE_WORD = /^[A-Za-z0-9_\/.,:=+@%-]+$/;

/** Quote one word so that sh reads it back byte for byte. */
export function shQuote(word: string): string {
  if (SAFE_WORD.test(word)) return word;
  // Inside single quotes nothing is special except the closing quote itself.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shQuoteAll(words: readonly string[]): string {
  return words.map(shQuote).join(' ');
}

export interface GuestScript {
  /** Directory to run in, as seen inside the chroot (the host's cwd). */
  readonly cwd: string;
  /** argv of the command; argv[0] is looked up in PATH. */
  readonly command: readonly string[];
  /** Exported before the command runs; the guest starts from an empty environment. */
  readonly env: Readonly<Record<string, string>>;
}

/** Variable names sh can export; anything else would make the script fail to parse. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The script the guest's init runs with the host's /bin/sh inside the chroot.
 * `exec` keeps the command's own exit status (127 when it is not found), and a
 * failing cd is 125 so that it cannot be mistaken for the command's result.
 */
export function guestScript(script: GuestScript): string {
  if (script.command.length === 0) throw new Error('guestScript: empty command');
  const lines: string[] = [];
  for (const [name, value] of Object.entries(script.env)) {
    if (!ENV_NAME.test(name)) throw new Error(`guestScript: bad environment variable name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  lines.push(`cd ${shQuote(script.cwd)} || exit 125`);
  lines.push(`exec ${shQuoteAll(script.command)}`);
  return lines.join('\n') + '\n';
}
