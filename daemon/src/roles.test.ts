import { describe, expect, it } from 'vitest';
import { callRefusal, roleOfUid, type AccessPolicy, type ServiceMethod } from './roles.ts';

const policy: AccessPolicy = { targetUid: 1000, allowUids: new Set([1001]), observerUids: new Set([1234, 1001]) };
const ALL: readonly ServiceMethod[] = ['Attach', 'GetInfo', 'Register', 'Unregister', 'ReadEvents', 'StreamEvents', 'GetCounterEndpoint'];

describe('roles at accept', () => {
  it('gives root, the target uid and --allow-uid the full role, even when also observers', () => {
    for (const uid of [0, 1000, 1001]) expect(roleOfUid(uid, policy)).toEqual({ ok: true, role: 'full' });
  });

  it('gives an --observer-uid the observer role', () => {
    expect(roleOfUid(1234, policy)).toEqual({ ok: true, role: 'observer' });
  });

  it('refuses anyone else, naming both options', () => {
    const d = roleOfUid(65534, policy);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.reason).toContain('uid 65534 may not use this daemon');
    expect(d.reason).toContain('--allow-uid (1001)');
    expect(d.reason).toContain('--observer-uid (1234, 1001)');
    expect(roleOfUid(7, { targetUid: 1000, allowUids: new Set(), observerUids: new Set() })).toMatchObject({ reason: expect.stringContaining('--allow-uid (none)') });
  });
});

describe('roles per call', () => {
  it('lets the full role make every call (the Session still checks Attach)', () => {
    for (const m of ALL) expect(callRefusal('full', 1000, m)).toBeUndefined();
  });

  it('lets an observer look (GetInfo, StreamEvents) and nothing else, saying why', () => {
    const allowed = ALL.filter((m) => callRefusal('observer', 1234, m) === undefined);
    expect(allowed).toEqual(['GetInfo', 'StreamEvents']);
    expect(callRefusal('observer', 1234, 'ReadEvents')).toBe(
      "uid 1234 is an observer (--observer-uid): it may call GetInfo and StreamEvents only; ReadEvents would drain the target's queue",
    );
    for (const m of ['Attach', 'Register', 'Unregister', 'GetCounterEndpoint'] as const) {
      expect(callRefusal('observer', 1234, m)).toMatch(new RegExp(`^uid 1234 is an observer \\(--observer-uid\\).*${m}`));
    }
  });
});
