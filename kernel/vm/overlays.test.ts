import { describe, expect, it } from 'vitest';
import { dirsToKeep } from './overlays.ts';

describe('dirsToKeep', () => {
  it('keeps the directory just below an overlay, so siblings come along', () => {
    expect(dirsToKeep(['/tmp/ci-1234/main'])).toEqual(['/tmp/ci-1234']);
  });

  it('needs nothing for paths outside the overlays', () => {
    expect(dirsToKeep(['/work/main', '/tmpfoo/x', '/tmp'])).toEqual([]);
  });

  it('names each directory once', () => {
    expect(dirsToKeep(['/tmp/a/main', '/tmp/a/main/kernel', '/run/b', '/dev/shm/c/d'])).toEqual(['/tmp/a', '/run/b', '/dev/shm/c']);
  });
});
