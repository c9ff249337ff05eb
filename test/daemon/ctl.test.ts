// ummunotifyctl, as a person at a second terminal uses it.

import { spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeCommand } from '../support/other-uid.ts';
import { startSidecar, TargetProcess, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
const OBSERVER = 1234;
const NOBODY = 65534;
let s: Sidecar | undefined;
let other: TargetProcess | undefined;
afterEach(async () => {
  await s?.close();
  await other?.kill();
  s = other = undefined;
});

/** The ctl, as `uid` if given (another user's runs from a private bundle: it may not reach the checkout). */
async function ctl(args: readonly string[], options: SpawnOptions = {}, uid?: number) {
  const command = await nodeCommand('clients/node/src/ctl.ts', uid);
  return spawn(process.execPath, [...command.args, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options, ...command.options });
}

/** Runs the ctl to its end: exit code and what it wrote. */
async function ctlRun(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await ctl(args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('ummunotifyctl', () => {
  it('stream prints invalidations live, and ends when the target exits', async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 42n, start: p, end: p + 2n * PAGE }] });
    const stream = await ctl(['--socket', s.daemon.socket, 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: stream.stdout as NodeJS.ReadableStream });
    const printed: string[] = [];
    const firstLine = new Promise<void>((resolve) => lines.on('line', (line) => (printed.push(line), resolve())));
    // Starting node and tsx can take longer than poll's default second when the machine is busy.
    await expect.poll(async () => (await s?.target.do<{ subscribers: number }>({ op: 'info' }))?.subscribers, { timeout: 10_000 }).toBe(1);

    await s.target.do({ op: 'munmap', addr: p + PAGE, pages: 1 });
    await firstLine;
    expect(printed[0]).toBe(`inval cookie=42 [0x${(p + PAGE).toString(16)}, 0x${(p + 2n * PAGE).toString(16)}) hint (unmap)`);

    void s.target.do({ op: 'exit', code: 0 });
    const code = await new Promise<number | null>((resolve) => stream.once('exit', resolve));
    expect(code).toBe(0);
    expect(printed.at(-1)).toBe(`target ${s.target.pid} exited`);
  });

  it("stream --pid PID, run as an observer uid, finds another user's target's daemon and prints its invalidations", async () => {
    // A target of uid 65534 and its daemon run as root at its default path (/run/ummunotify/PID.sock):
    // the observer, uid 1234, knows only the pid.
    s = await startSidecar({ targetUid: NOBODY, defaultSocket: true, daemonArgs: ['--observer-uid', String(OBSERVER)] });
    expect(s.daemon.socket).toBe(`/run/ummunotify/${s.target.pid}.sock`);
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 42n, start: p, end: p + 2n * PAGE }] });
    const { XDG_RUNTIME_DIR: _ignored, ...env } = process.env;
    const stream = await ctl(['stream', '--pid', String(s.target.pid)], { env, stdio: ['ignore', 'pipe', 'inherit'] }, OBSERVER);
    const lines = createInterface({ input: stream.stdout as NodeJS.ReadableStream });
    const printed: string[] = [];
    const firstLine = new Promise<void>((resolve) => lines.on('line', (line) => (printed.push(line), resolve())));
    await expect.poll(async () => (await s?.target.do<{ subscribers: number }>({ op: 'info' }))?.subscribers, { timeout: 10_000 }).toBe(1);

    await s.target.do({ op: 'munmap', addr: p, pages: 1 });
    await firstLine;
    expect(printed[0]).toBe(`inval cookie=42 [0x${p.toString(16)}, 0x${(p + PAGE).toString(16)}) hint (unmap)`);
    // The observer's stream took nothing from the target's own queue.
    expect((await s.target.do<Array<{ kind: string }>>({ op: 'readEvents' })).map((r) => r.kind)).toEqual(['invalidation', 'last']);

    void s.target.do({ op: 'exit', code: 0 });
    expect(await new Promise<number | null>((resolve) => stream.once('exit', resolve))).toBe(0);
    expect(printed.at(-1)).toBe(`target ${s.target.pid} exited`);
  });

  it('--pid says so when there is no such process, and lists the paths it tried when there is no daemon', async () => {
    const gone = await ctlRun(['info', '--pid', '4194399']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('ummunotifyctl: no process with pid 4194399\n');

    other = await TargetProcess.start(NOBODY);
    const lonely = await ctlRun(['--pid', String(other.pid), 'info']);
    expect(lonely.code).toBe(1);
    expect(lonely.stderr).toContain(`no daemon socket found for pid ${other.pid} (uid ${NOBODY}); tried:`);
    expect(lonely.stderr).toContain(`  /run/user/${NOBODY}/ummunotify/${other.pid}.sock (a daemon run as uid ${NOBODY}, the target's user): missing`);
    expect(lonely.stderr).toContain(`  /run/ummunotify/${other.pid}.sock (a daemon run as root): missing`);
  });
});
