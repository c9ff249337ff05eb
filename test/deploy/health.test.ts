// `ummunotifyctl health`, the sidecar container's health check
// (docker-compose.yml): exit 0 only while the daemon reports SERVING.

import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../support/target-process.ts';

let s: Sidecar | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

function health(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bin/ummunotifyctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('ummunotifyctl health', () => {
  it('exits 0 with SERVING while the daemon serves, 1 for an unknown service, 1 once it is gone', async () => {
    s = await startSidecar({ attach: false });
    const socket = s.daemon.socket;
    expect(await health(['--socket', socket, 'health'])).toMatchObject({ code: 0, stdout: 'SERVING\n' });
    expect(await health(['--socket', socket, 'health', 'ummunotify.v1.UmmunotifyService'])).toMatchObject({ code: 0, stdout: 'SERVING\n' });
    const unknown = await health(['--socket', socket, 'health', 'no.such.Service']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');

    await s.close();
    s = undefined;
    const gone = await health(['--socket', socket, 'health']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no daemon answers on ${socket}`);
  });
});
