// Who may talk to a daemon, and who may hand it a target's fd. The tests run
// as root and play the other users with processes of uid 65534 and 1234.

import { describe, expect, it } from 'vitest';
import { otherUsers, refusal } from '../support/other-users.ts';

const NOBODY = 65534;
const { sidecar, userProcess } = otherUsers();

describe('permissions', () => {
  it('by default only root and the target uid can reach the socket at all', async () => {
    const s = await sidecar({});
    const stranger = await userProcess(NOBODY);
    const r = await refusal(stranger.do({ op: 'connect', socket: s.daemon.socket, timeoutMs: 1500 }));
    expect(r.message).toMatch(/no daemon answers/);
  });

  it('where others can reach the socket, the peer check refuses uids that are not allowed', async () => {
    const s = await sidecar({ daemonArgs: ['--allow-uid', '1234'] });
    const stranger = await userProcess(NOBODY);
    expect((await refusal(stranger.do({ op: 'connect', socket: s.daemon.socket, timeoutMs: 1500 }))).message).toMatch(/no daemon answers/);
    const allowed = await userProcess(1234);
    await allowed.do({ op: 'connect', socket: s.daemon.socket });
    expect(await allowed.do({ op: 'info' })).toMatchObject({ targetPid: s.target.pid, engine: 'ENGINE_UFFD' });
  });

  it('Attach from a process that is not the target is refused, even of the same uid', async () => {
    const s = await sidecar({ targetUid: NOBODY, attach: false });
    const sibling = await userProcess(NOBODY);
    await sibling.do({ op: 'connect', socket: s.daemon.socket });
    const r = await refusal(sibling.do({ op: 'attach' }));
    expect(r.status).toBe('PERMISSION_DENIED');
    expect(r.message).toContain(`target process itself (pid ${s.target.pid})`);
    // The target itself, as an unprivileged user, can.
    expect(await s.target.do({ op: 'attach' })).toBe('ENGINE_UFFD');
  });

  it('Attach is the target\'s alone: not even root may hand over its fd', async () => {
    const s = await sidecar({ targetUid: NOBODY, attach: false });
    const root = await userProcess(0);
    await root.do({ op: 'connect', socket: s.daemon.socket });
    const r = await refusal(root.do({ op: 'attach' }));
    expect(r.status).toBe('PERMISSION_DENIED');
    expect(r.message).toContain(`target process itself (pid ${s.target.pid})`);
    expect(r.message).toContain('uid 0');
    // Root may still call everything else.
    expect(await root.do({ op: 'info' })).toMatchObject({ targetPid: s.target.pid });
    expect(await s.target.do({ op: 'attach' })).toBe('ENGINE_UFFD');
  });

  it("pidfd_getfd's EPERM reaches the target as PERMISSION_DENIED, with the reason", async () => {
    // A daemon of another, unprivileged uid may not take a root target's fd.
    const s = await sidecar({ daemonUid: NOBODY, attach: false });
    const r = await refusal(s.target.do({ op: 'attach' }));
    expect(r.status).toBe('PERMISSION_DENIED');
    expect(r.errnoName).toBe('EPERM');
    expect(r.message).toMatch(/ptrace|CAP_SYS_PTRACE|uid/);
  });
});
