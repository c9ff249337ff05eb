// ummunotifyctl, as a person at a second terminal uses it.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
let s: Sidecar | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('ummunotifyctl', () => {
  it('stream prints invalidations live, and ends when the target exits', async () => {
    s = await startSidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 42n, start: p, end: p + 2n * PAGE }] });
    const ctl = spawn(process.execPath, ['--import', 'tsx', 'clients/node/src/ctl.ts', '--socket', s.daemon.socket, 'stream'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: ctl.stdout });
    const printed: string[] = [];
    const firstLine = new Promise<void>((resolve) => lines.on('line', (line) => (printed.push(line), resolve())));
    await expect.poll(async () => (await s?.target.do<{ subscribers: number }>({ op: 'info' }))?.subscribers).toBe(1);

    await s.target.do({ op: 'munmap', addr: p + PAGE, pages: 1 });
    await firstLine;
    expect(printed[0]).toBe(`inval cookie=42 [0x${(p + PAGE).toString(16)}, 0x${(p + 2n * PAGE).toString(16)}) hint (unmap)`);

    void s.target.do({ op: 'exit', code: 0 });
    const code = await new Promise<number | null>((resolve) => ctl.once('exit', resolve));
    expect(code).toBe(0);
    expect(printed.at(-1)).toBe(`target ${s.target.pid} exited`);
  });
});
