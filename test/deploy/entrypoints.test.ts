// deploy/target-entrypoint.sh and sidecar-entrypoint.sh, run as the two
// containers would run them, here on the host (one pid namespace, like the
// sidecar sharing the target's) and under the containers' seccomp profile:
// the sidecar finds the target announced on the "volume" (a directory),
// ignores a stale announcement, and serves it; the target starts once it does.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { haveSeccomp, skipWithout, SYSTEM_PYTHON } from './tools.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function run(command: readonly string[], env: NodeJS.ProcessEnv) {
  const child = spawn(SYSTEM_PYTHON, ['deploy/seccomp/apply.py', 'deploy/seccomp/ummunotify.json', '--', ...command], {
    env: { ...process.env, ...env, PATH: `${process.cwd()}/bin:${process.env['PATH'] ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { child, done };
}

describe.skipIf(skipWithout(haveSeccomp))('container entrypoints', () => {
  it('pair the sidecar with the target through the shared directory, past a stale pid file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'umn-run-'));
    const env = { UMMUNOTIFY_RUN_DIR: dir, UMMUNOTIFY_SOCKET: join(dir, 'target.sock'), UMMUNOTIFY_WAIT_S: '60' };
    // Left by an "earlier run": a live pid (ours) with a start time that is not its own.
    writeFileSync(join(dir, 'target.pid'), `${process.pid} 1\n`);
    // Sidecar first, as docker compose may start it: it must wait for the real target.
    const sidecar = run(['deploy/sidecar-entrypoint.sh', '--log-level', 'warn', '--exit-grace-ms', '100'], env);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const target = run(['deploy/target-entrypoint.sh', '.venv/bin/python', 'deploy/regcache_service.py'], { ...env, REGCACHE_ROUNDS: '2', REGCACHE_INTERVAL_S: '0.1', UMMUNOTIFY_ENGINE: 'uffd' });

    const t = await target.done;
    expect(t.out).toContain('round 2: stale registration evicted');
    expect(t.code, t.out).toBe(0);
    // Every step execs (apply.py, the entrypoint, python), so the pid announced
    // is the one we started and the one that attached.
    const [announced] = readFileSync(join(dir, 'target.pid'), 'utf8').split(' ');
    expect(Number(announced)).toBe(target.child.pid);
    expect(t.out).toContain(`pid ${announced}: attached on the uffd engine`);
    // The daemon sees its target exit and ends on its own.
    const s = await sidecar.done;
    expect(s.out).toContain(`target is pid ${announced}`);
    expect(s.code, s.out).toBe(0);
  });

  it('the target gives up, saying why, when no daemon comes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'umn-run-'));
    const target = run(['deploy/target-entrypoint.sh', 'true'], { UMMUNOTIFY_RUN_DIR: dir, UMMUNOTIFY_SOCKET: join(dir, 'target.sock'), UMMUNOTIFY_WAIT_S: '1' });
    const t = await target.done;
    expect(t.code).toBe(1);
    expect(t.out).toContain('no daemon socket');
  });
});
