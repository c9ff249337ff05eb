import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestScript, shQuote, shQuoteAll } from './quote.ts';

const NASTY = ['a b', "it's", '"dq"', '$HOME', '`id`', '\\back', '', 'x*', '~', 'tab\there', 'new\nline', "''", 'ü', '-n', ';', '&&', '$(false)'];

describe('shQuote', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(shQuote('build/kernel/selftest/ummunotify_test')).toBe('build/kernel/selftest/ummunotify_test');
    expect(shQuote('a b')).toBe("'a b'");
    expect(shQuote('')).toBe("''");
    expect(shQuote("it's")).toBe("'it'\\''s'");
  });

  it('round-trips through a real sh, byte for byte', () => {
    const script = `for a in ${shQuoteAll(NASTY)}; do printf '[%s]' "$a"; done`;
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(out).toBe(NASTY.map((w) => `[${w}]`).join(''));
  });
});

describe('guestScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quote test '));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets the environment, changes directory and execs the command with its arguments intact', () => {
    const script = guestScript({
      cwd: dir,
      command: ['sh', '-c', 'printf "%s|" "$PWD" "$FOO" "$@"', 'argv0', ...NASTY],
      env: { FOO: "va'l ue", PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: {} });
    expect(out).toBe([dir, "va'l ue", ...NASTY].map((w) => `${w}|`).join(''));
  });

  it('keeps the exit status of the command, and 127 for a missing one', () => {
    const run = (command: string[]) => {
      try {
        execFileSync('sh', ['-c', guestScript({ cwd: '/', command, env: { PATH: '/usr/bin:/bin' } })], { stdio: 'ignore' });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    expect(run(['sh', '-c', 'exit 7'])).toBe(7);
    expect(run(['no-such-command-ummunotify'])).toBe(127);
  });

  it('fails with 125 when the directory does not exist', () => {
    let status = 0;
    try {
      execFileSync('sh', ['-c', guestScript({ cwd: '/nonexistent dir', command: ['true'], env: {} })], { stdio: 'ignore' });
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).toBe(125);
  });

  it('refuses an empty command and unexportable variable names', () => {
    expect(() => guestScript({ cwd: '/', command: [], env: {} })).toThrow(/empty command/);
    expect(() => guestScript({ cwd: '/', command: ['true'], env: { 'A-B': 'x' } })).toThrow(/bad environment variable/);
  });
});
