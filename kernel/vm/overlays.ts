// The guest mounts fresh file systems over some host directories (its own
// /tmp, /run, /dev/shm). A command whose directory lives under one of them
// (a CI clone in /tmp, say) must still find its files, so the host names
// those directories and the guest binds them back through its overlays.

/** Host paths the guest hides behind mounts of its own; see guest-init.sh. */
export const GUEST_OVERLAYS: readonly string[] = ['/tmp', '/run', '/dev/shm'];

/**
 * For each path, the directory just below the overlay that holds it (for
 * /tmp/ci-1234/main, /tmp/ci-1234, so that siblings such as ../shared come
 * along), without duplicates. Paths outside every overlay need nothing.
 */
export function dirsToKeep(paths: readonly string[]): string[] {
  const keep = new Set<string>();
  for (const path of paths) {
    for (const overlay of GUEST_OVERLAYS) {
      if (!path.startsWith(`${overlay}/`)) continue;
      const top = path.slice(overlay.length + 1).split('/')[0];
      if (top !== undefined && top !== '') keep.add(`${overlay}/${top}`);
    }
  }
  return [...keep];
}
