// Bad input gets a clear status and changes nothing: the registration count
// and the reports stay as they were, and the daemon keeps serving.

import { afterEach, describe, expect, it } from 'vitest';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import type { UmmunotifyError } from '../../clients/node/src/errors.ts';
import { startSidecar, TargetError, type Sidecar } from '../support/target-process.ts';

const PAGE = 4096n;
let s: Sidecar | undefined;
let observer: UmmunotifyClient | undefined;

afterEach(async () => {
  observer?.close();
  await s?.close();
  s = undefined;
});

async function sidecar(attach = true): Promise<{ s: Sidecar; observer: UmmunotifyClient }> {
  s = await startSidecar({ attach });
  observer = await UmmunotifyClient.connect(s.daemon.socket);
  return { s, observer };
}

async function refusal(p: Promise<unknown>): Promise<{ status: string | undefined; message: string; errnoName: string | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as TargetError | UmmunotifyError;
    return { status: err.status, message: err.message, errnoName: err.errnoName };
  }
  throw new Error('expected the call to fail');
}

describe('bad input', () => {
  it('Register: each malformed batch is refused whole, with its status, and nothing changes', async () => {
    const { s, observer } = await sidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + PAGE }] });
    const cases: Array<[string, { cookie: bigint; start: bigint; end: bigint }[], string]> = [
      ['start >= end', [{ cookie: 2n, start: p + PAGE, end: p }], 'INVALID_ARGUMENT'],
      ['zero length', [{ cookie: 2n, start: p, end: p }], 'INVALID_ARGUMENT'],
      ['beyond user space', [{ cookie: 2n, start: 1n << 62n, end: (1n << 62n) + PAGE }], 'INVALID_ARGUMENT'],
      ['duplicate cookie within the batch', [{ cookie: 2n, start: p, end: p + PAGE }, { cookie: 2n, start: p + PAGE, end: p + 2n * PAGE }], 'INVALID_ARGUMENT'],
      ['cookie already registered, after a good one', [{ cookie: 3n, start: p, end: p + PAGE }, { cookie: 1n, start: p, end: p + PAGE }], 'ALREADY_EXISTS'],
      ['unmapped memory', [{ cookie: 4n, start: PAGE, end: 2n * PAGE }], 'FAILED_PRECONDITION'],
    ];
    for (const [what, regs, status] of cases) {
      const r = await refusal(s.target.do({ op: 'register', regs }));
      expect(r.status, what).toBe(status);
      expect(r.message.length, what).toBeGreaterThan(10);
      expect((await observer.info()).registrations, what).toBe('1');
    }
    // The good registration still works: nothing was half-done.
    await s.target.do({ op: 'madvise', addr: p, pages: 1 });
    expect(await observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p, end: p + PAGE, sources: ['madvise'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it("cookies are the target's, not a connection's: a cookie another connection registered is ALREADY_EXISTS, and nothing changes", async () => {
    const { s, observer } = await sidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 2 });
    await s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + PAGE }] });
    const r = await refusal(observer.register({ cookie: 1n, start: p + PAGE, end: p + 2n * PAGE }));
    expect(r).toMatchObject({ status: 'ALREADY_EXISTS', errnoName: 'EINVAL' });
    expect(r.message).toContain('already registered');
    expect((await observer.info()).registrations).toBe('1');
    // The refused range is not watched; the first registration still is.
    await s.target.do({ op: 'munmap', addr: p + PAGE, pages: 1 });
    await s.target.do({ op: 'munmap', addr: p, pages: 1 });
    expect(await observer.readEvents()).toEqual([
      { kind: 'invalidation', cookie: 1n, hint: true, start: p, end: p + PAGE, sources: ['unmap'] },
      { kind: 'last', counter: 1n },
    ]);
  });

  it('Unregister of an unknown cookie is NOT_FOUND, and the known ones in the batch stay', async () => {
    const { s, observer } = await sidecar();
    const p = await s.target.do<bigint>({ op: 'mmap', pages: 1 });
    await s.target.do({ op: 'register', regs: [{ cookie: 1n, start: p, end: p + PAGE }] });
    expect((await refusal(observer.unregister([1n, 99n]))).status).toBe('NOT_FOUND');
    expect((await observer.info()).registrations).toBe('1');
  });

  it('calls before Attach are FAILED_PRECONDITION; GetInfo works', async () => {
    const { observer } = await sidecar(false);
    expect((await refusal(observer.register({ cookie: 1n, start: PAGE, end: 2n * PAGE }))).status).toBe('FAILED_PRECONDITION');
    expect((await refusal(observer.readEvents())).status).toBe('FAILED_PRECONDITION');
    expect((await observer.info()).engine).toBe('ENGINE_UNSPECIFIED');
  });

  it('Attach twice, Attach of a bad fd number, Attach of an fd that is not a uffd', async () => {
    const { s } = await sidecar(false);
    expect((await refusal(s.target.do({ op: 'attachFd', fd: 9999 })))).toMatchObject({ status: 'INVALID_ARGUMENT' });
    const file = await s.target.do<number>({ op: 'openFile', path: '/etc/hostname' });
    const notUffd = await refusal(s.target.do({ op: 'attachFd', fd: file }));
    expect(notUffd.status).toBe('INVALID_ARGUMENT');
    expect(notUffd.message).toMatch(/neither a userfaultfd nor \/dev\/ummunotify/);
    expect(await s.target.do({ op: 'attach' })).toBe('ENGINE_UFFD');
    expect((await refusal(s.target.do({ op: 'attach' }))).status).toBe('FAILED_PRECONDITION');
  });

  it('a file mapping the engine cannot watch is FAILED_PRECONDITION, not a silent miss', async () => {
    const { s } = await sidecar();
    const f = await s.target.do<bigint>({ op: 'mmapFile', path: '/etc/hostname', pages: 1 });
    const r = await refusal(s.target.do({ op: 'register', regs: [{ cookie: 1n, start: f, end: f + PAGE }] }));
    expect(r.status).toBe('FAILED_PRECONDITION');
  });
});
