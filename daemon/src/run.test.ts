import { describe, expect, it } from 'vitest';
import { exitStatus, gateScript, gateStdio, inheritedFds, pickGateFd } from './run.ts';

describe('run: the gate and what CMD inherits', () => {
  it('inherited fds: those the wrapper listed for this very pid and still open', () => {
    const isOpen = (fd: number): boolean => [0, 1, 2, 4, 7, 251].includes(fd);
    // 5 is listed but closed since; 2 is never ours to pass as an extra.
    expect(inheritedFds('100: 251 4 5 7 2 4', 100, isOpen)).toEqual([4, 7, 251]);
    // A list written for another process (an outer run) counts for nothing.
    expect(inheritedFds('99: 4 7', 100, isOpen)).toEqual([]);
    expect(inheritedFds(undefined, 100, isOpen)).toEqual([]);
    expect(inheritedFds('garbage', 100, isOpen)).toEqual([]);
    expect(inheritedFds('100:', 100, isOpen)).toEqual([]);
  });

  it('the gate fd is a single digit (dash) that CMD does not inherit', () => {
    expect(pickGateFd([])).toBe(3);
    expect(pickGateFd([3, 4, 6])).toBe(5);
    expect(() => pickGateFd([3, 4, 5, 6, 7, 8, 9])).toThrow('fds 3 to 9 are all inherited');
  });

  it('stdio: 0-2 and inherited fds as they are, the gate a pipe, the rest closed', () => {
    expect(gateStdio([], 3)).toEqual(['inherit', 'inherit', 'inherit', 'pipe']);
    expect(gateStdio([4, 7], 3)).toEqual(['inherit', 'inherit', 'inherit', 'pipe', 4, 'ignore', 'ignore', 7]);
    expect(gateStdio([3, 12], 4)).toHaveLength(13);
  });

  it('the gate script reads one line from its fd, closes it and execs "$@"', () => {
    expect(gateScript(5)).toBe('IFS= read -r UMMUNOTIFY_SOCKET <&5 || exit 125; exec 5<&-; export UMMUNOTIFY_SOCKET; exec "$@"');
  });

  it('exit status: the code, or 128+N for signal N', () => {
    expect(exitStatus(0, null)).toBe(0);
    expect(exitStatus(3, null)).toBe(3);
    expect(exitStatus(null, 'SIGTERM')).toBe(143);
    expect(exitStatus(null, 'SIGKILL')).toBe(137);
  });
});
