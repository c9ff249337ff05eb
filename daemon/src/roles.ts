// Who may do what, decided without side effects: which uids are admitted at
// accept and in which role, and which UmmunotifyService calls a role may
// make. peers.ts and service.ts apply these; every refusal names its rule.

/** Full: anything the calls allow (Attach still needs the target itself). Observer: look, never touch. */
export type Role = 'full' | 'observer';

export interface AccessPolicy {
  readonly targetUid: number;
  /** --allow-uid */
  readonly allowUids: ReadonlySet<number>;
  /** --observer-uid */
  readonly observerUids: ReadonlySet<number>;
}

export type UidDecision = { readonly ok: true; readonly role: Role } | { readonly ok: false; readonly reason: string };

/** The UmmunotifyService calls, by their proto names. */
export type ServiceMethod = 'Attach' | 'GetInfo' | 'Register' | 'Unregister' | 'ReadEvents' | 'StreamEvents' | 'GetCounterEndpoint';

/** What an observer may call: both leave the target's registrations and queue as they were. */
export type ObserverMethod = Extract<ServiceMethod, 'GetInfo' | 'StreamEvents'>;

function isObserverMethod(method: ServiceMethod): method is ObserverMethod {
  return method === 'GetInfo' || method === 'StreamEvents';
}

function list(uids: ReadonlySet<number>): string {
  return uids.size === 0 ? 'none' : [...uids].join(', ');
}

/**
 * The role of a connecting uid. A uid with a full grant (root, the target's
 * uid, --allow-uid) keeps it even if also named an observer: the wider
 * grant was given on purpose.
 */
export function roleOfUid(uid: number, policy: AccessPolicy): UidDecision {
  if (uid === 0 || uid === policy.targetUid || policy.allowUids.has(uid)) return { ok: true, role: 'full' };
  if (policy.observerUids.has(uid)) return { ok: true, role: 'observer' };
  return {
    ok: false,
    reason:
      `uid ${uid} may not use this daemon: only root, the target's uid (${policy.targetUid}), ` +
      `uids given with --allow-uid (${list(policy.allowUids)}) and, to observe, with --observer-uid (${list(policy.observerUids)})`,
  };
}

/** Why an observer may not make a call, said so that the caller sees what it would have disturbed. */
const OBSERVER_WHY: Readonly<Record<Exclude<ServiceMethod, ObserverMethod>, string>> = {
  Attach: 'Attach would hand the daemon a notification fd',
  Register: "Register would change the target's registrations",
  Unregister: "Unregister would change the target's registrations",
  ReadEvents: "ReadEvents would drain the target's queue",
  GetCounterEndpoint: "GetCounterEndpoint: the counter page is for root, the target's uid and --allow-uid only",
};

/** The refusal message for a call, or undefined when the role may make it. */
export function callRefusal(role: Role, uid: number, method: ServiceMethod): string | undefined {
  if (role === 'full' || isObserverMethod(method)) return undefined;
  return `uid ${uid} is an observer (--observer-uid): it may call GetInfo and StreamEvents only; ${OBSERVER_WHY[method]}`;
}
