// `ummunotifyd run -- CMD`: real targets (the Python, Node and C examples and
// small commands) started under their own sidecar, as a launcher would start
// them. UMMUNOTIFYD points at nothing, so a client that tried to spawn a
// daemon of its own instead of using UMMUNOTIFY_SOCKET would fail.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DAEMON = join(REPO, 'bin', 'ummunotifyd');
const PYTHON = join(REPO, '.venv', 'bin', 'python');
const C_REGCACHE = join(REPO, 'build', 'clients', 'c', 'regcache');
const NO_DAEMON = '/nonexistent/ummunotifyd-must-not-be-spawned';

interface Outcome {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** Called once run has started, with its process (to send signals). */
  readonly started?: (pid: number) => void;
  /** Start run with no fds but 0-2. */
  readonly closeFds?: boolean;
  /** An extra fd for run to inherit, at this number (as a launcher's PMI_FD). */
  readonly passFd?: { readonly at: number; readonly fd: number };
}

function run(args: readonly string[], options: RunOptions = {}): Promise<Outcome> {
  const closer = ['-c', 'import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])', DAEMON];
  const child = spawn(options.closeFds ? PYTHON : DAEMON, [...(options.closeFds ? closer : []), 'run', ...args], {
    cwd: REPO,
    env: { ...process.env, UMMUNOTIFYD: NO_DAEMON, UMMUNOTIFY_ENGINE: 'uffd', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe', ...(options.passFd ? [...Array<'ignore'>(options.passFd.at - 3).fill('ignore'), options.passFd.fd] : [])],
  });
  let stdout = '';
  let stderr = '';
  if (child.stdin === null || child.stdout === null || child.stderr === null) throw new Error('spawn gave no pipes');
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.input ?? '');
  options.started?.(child.pid as number);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

function requireFile(path: string, what: string): void {
  // Built by `npm run build`; a missing one is a broken setup, never a skip.
  if (!existsSync(path)) throw new Error(`${path} is missing: ${what}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'umn-run-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('ummunotifyd run -- CMD', () => {
  it('a Python target attaches through UMMUNOTIFY_SOCKET to the daemon serving its pid; its status is run\'s; the sockets are gone after', async () => {
    requireFile(PYTHON, 'run clients/python/build.sh');
    const script = [
      'import json, os, sys, ummunotify',
      'with ummunotify.open() as umn:',
      '    info = umn.info()',
      '    print(json.dumps({"pid": os.getpid(), "env": os.environ["UMMUNOTIFY_SOCKET"], "socket": umn.socket_path, "spawned": umn.sidecar_pid, "target": info.target_pid, "engine": info.engine, "rank": os.environ.get("OMPI_COMM_WORLD_RANK")}))',
      'sys.exit(7)',
    ].join('\n');
    const out = await run(['--', PYTHON, '-c', script], { env: { OMPI_COMM_WORLD_RANK: '3' } });
    expect(out.status, out.stderr).toBe(7);
    const seen = JSON.parse(out.stdout) as { pid: number; env: string; socket: string; spawned: number | null; target: number; engine: string; rank: string };
    expect(seen.spawned).toBeNull();
    expect(seen.socket).toBe(seen.env);
    expect(basename(seen.socket)).toBe(`${seen.pid}.sock`);
    // The daemon serves CMD's own pid: the gate exec'd it in place.
    expect(seen.target).toBe(seen.pid);
    expect(seen.engine).toBe('uffd');
    // The launcher's environment reaches CMD untouched.
    expect(seen.rank).toBe('3');
    // Under run the daemon logs only warnings, and nothing at all here.
    expect(out.stderr).toBe('');
    expect(existsSync(seen.socket)).toBe(false);
    expect(existsSync(seen.socket.replace(/\.sock$/, '.counter.sock'))).toBe(false);
    expect(existsSync(seen.socket.replace(/\.sock$/, '.lock'))).toBe(false);
  });

  it('the Python registration-cache example (npm run example:python) evicts the stale entry under run', async () => {
    requireFile(PYTHON, 'run clients/python/build.sh');
    const out = await run(['--', PYTHON, 'clients/python/examples/regcache.py']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('stale entry for a (cookie 1) evicted: yes');
    expect(out.stdout).toContain('b registered fresh (cookie 2): yes');
  });

  it('the Node registration-cache example works under run', async () => {
    const out = await run(['--', process.execPath, '--import', 'tsx', 'clients/node/examples/regcache.ts']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/evicted cookie 1: \[0x[0-9a-f]+, 0x[0-9a-f]+\) was invalidated \(unmap\)/);
    expect(out.stdout).toMatch(/b has its own registration \(cookie 2\)/);
  });

  it('the C registration-cache example works under run', async () => {
    requireFile(C_REGCACHE, 'run npm run build:c');
    const out = await run(['--', C_REGCACHE]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^regcache: evicted stale entry .* cookie 1 \(invalidated by unmap\)$/m);
    expect(out.stdout).toMatch(/^regcache: miss for .*: registered fresh as cookie 2$/m);
  });

  it('CMD gets stdin, stdout, its arguments (--help included) and no fd of the gate; run adds nothing to stdout', async () => {
    // Started with nothing but 0-2 (the test runner leaks fds of its own),
    // CMD has nothing else either: ls, exec'd in the shell's place, lists its
    // own fds, 3 being its directory.
    const out = await run(['--', '/bin/sh', '-c', 'cat; printf "[%s]" "$@"; exec ls /proc/self/fd', 'sh', '--help', 'a b'], { input: 'from stdin\n', closeFds: true });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toBe('from stdin\n[--help][a b]0\n1\n2\n3\n');
  });

  it('CMD inherits the fds run was given, as MPICH passes PMI_FD (node alone would close them)', async () => {
    const file = join(scratch, 'pmi');
    writeFileSync(file, 'cmd=init pmi_version=1\n');
    const fd = openSync(file, 'r');
    try {
      const out = await run(['--', '/bin/sh', '-c', 'cat <&"$PMI_FD"'], { env: { PMI_FD: '7' }, passFd: { at: 7, fd } });
      expect(out.status, out.stderr).toBe(0);
      expect(out.stdout).toBe('cmd=init pmi_version=1\n');
    } finally {
      closeSync(fd);
    }
  });

  it('a CMD killed by a signal makes run exit 128+N', async () => {
    const out = await run(['--', '/bin/sh', '-c', 'kill -KILL $$']);
    expect(out.status).toBe(128 + 9);
  });

  it('SIGTERM, SIGHUP and SIGUSR1 (which mpirun forwards) to run reach CMD', async () => {
    for (const [signal, code] of [['SIGTERM', 42], ['SIGHUP', 43], ['SIGUSR1', 44]] as const) {
      const ready = join(scratch, `ready-${signal}`);
      let runPid = 0;
      const traps = "trap 'exit 42' TERM; trap 'exit 43' HUP; trap 'exit 44' USR1";
      const outcome = run(['--', '/bin/sh', '-c', `${traps}; : > ${ready}; while :; do sleep 0.1; done`], { started: (pid) => (runPid = pid) });
      await expect.poll(() => existsSync(ready), { timeout: 60_000, interval: 100 }).toBe(true);
      process.kill(runPid, signal);
      const out = await outcome;
      expect(out.status, `${signal}: ${out.stderr}`).toBe(code);
    }
  });

  it('a daemon that cannot start fails run with a clear message, and CMD never runs', async () => {
    const marker = join(scratch, 'ran');
    // /tmp is writable by others: the daemon refuses to put its socket there.
    const out = await run(['--socket', '/tmp/umn-run-refused.sock', '--', '/bin/sh', '-c', `: > ${marker}`]);
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/ummunotifyd run: the daemon for "\/bin\/sh" \(pid \d+\) did not start, so the command was not run: \/tmp is writable by others/);
    expect(existsSync(marker)).toBe(false);
  });

  it('a command that does not exist: status 127 and the shell\'s message, naming run', async () => {
    const out = await run(['--', '/nonexistent/cmd']);
    expect(out.status).toBe(127);
    expect(out.stderr).toMatch(/ummunotifyd run: .*\/nonexistent\/cmd: not found/);
  });

  it('bad run arguments: status 2 and the usage', async () => {
    const out = await run(['--pid', '1', '--', 'true']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('run: --pid does not apply');
    expect(out.stderr).toContain('ummunotifyd run [OPTIONS] -- CMD');
  });
});
