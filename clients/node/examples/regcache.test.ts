import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the Node registration-cache example', () => {
  it('evicts a\'s entry when a is unmapped, and registers b afresh', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'clients/node/examples/regcache.ts'], { env: { ...process.env, UMMUNOTIFY_ENGINE: 'uffd' } });
    expect(stdout).toMatch(/lookup 0x[0-9a-f]+\+4096: miss, registered cookie 1/);
    expect(stdout).toMatch(/lookup 0x[0-9a-f]+\+4096: hit, cookie 1/);
    expect(stdout).toMatch(/evicted cookie 1: \[0x[0-9a-f]+, 0x[0-9a-f]+\) was invalidated \(unmap\)/);
    expect(stdout).toMatch(/b has its own registration \(cookie 2\)/);
    expect(stdout.indexOf('evicted cookie 1')).toBeLessThan(stdout.indexOf('registered cookie 2'));
  });
});
