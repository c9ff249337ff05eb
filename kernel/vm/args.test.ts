import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNEL, DEFAULT_TIMEOUT_SECONDS, parseArgs } from './args.ts';

function ok(argv: string[]) {
  const r = parseArgs(argv);
  if (!r.ok) throw new Error(`expected success, got: ${r.error}`);
  return r.args;
}

function error(argv: string[]): string {
  const r = parseArgs(argv);
  if (r.ok) throw new Error(`expected an error for ${JSON.stringify(argv)}`);
  return r.error;
}

describe('parseArgs', () => {
  it('splits options from the command at --', () => {
    const a = ok(['--kernel', '6.12', '--timeout', '30', '--', 'sh', '-c', 'echo hi']);
    expect(a).toEqual({ kernel: '6.12', timeoutSeconds: 30, installOnly: false, help: false, command: ['sh', '-c', 'echo hi'] });
  });

  it('passes everything after the first -- verbatim, options and later -- included', () => {
    expect(ok(['--', '--kernel', '6.12', '--', '-x']).command).toEqual(['--kernel', '6.12', '--', '-x']);
    expect(ok(['--', '--kernel']).kernel).toBe(DEFAULT_KERNEL);
  });

  it('starts the command at the first bare word, like env(1)', () => {
    expect(ok(['--kernel', '6.1', 'false', '--timeout', '1'])).toMatchObject({ timeoutSeconds: DEFAULT_TIMEOUT_SECONDS, command: ['false', '--timeout', '1'] });
  });

  it('accepts --opt=value and full kernel versions', () => {
    expect(ok(['--kernel=6.12.117+deb12-amd64', '--timeout=2.5', '--', 'true'])).toMatchObject({ kernel: '6.12.117+deb12-amd64', timeoutSeconds: 2.5 });
  });

  it('has defaults', () => {
    expect(ok(['--', 'true'])).toMatchObject({ kernel: '6.1', timeoutSeconds: 1200 });
  });

  it('needs a command unless installing or asking for help', () => {
    expect(error([])).toMatch(/no command/);
    expect(error(['--kernel', '6.1', '--'])).toMatch(/no command/);
    expect(ok(['--install-only', '--kernel', '6.12'])).toMatchObject({ installOnly: true, command: [] });
    expect(ok(['--help']).help).toBe(true);
  });

  it('rejects bad options and values', () => {
    expect(error(['--kernel'])).toMatch(/--kernel needs a value/);
    expect(error(['--kernel='])).toMatch(/--kernel needs a value/);
    expect(error(['--timeout', '0', '--', 'true'])).toMatch(/--timeout/);
    expect(error(['--timeout', '-5', '--', 'true'])).toMatch(/--timeout/);
    expect(error(['--timeout', '10s', '--', 'true'])).toMatch(/--timeout/);
    expect(error(['--no-module', '--', 'true'])).toMatch(/unknown option/);
    expect(error(['--install-only=yes'])).toMatch(/takes no value/);
  });
});
