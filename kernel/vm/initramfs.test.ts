import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpioArchive, guestModuleName, parseShowDepends } from './initramfs.ts';

describe('cpioArchive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpio-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const archive = cpioArchive([
    { type: 'dir', name: 'bin' },
    { type: 'file', name: 'bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { type: 'file', name: 'odd-size', data: Buffer.from('12345') },
    { type: 'file', name: 'empty', data: new Uint8Array() },
    { type: 'symlink', name: 'bin/sh', target: 'tool' },
    { type: 'chardev', name: 'console', major: 5, minor: 1 },
  ]);

  it('is a newc archive that cpio(1) lists', () => {
    const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: archive, encoding: 'utf8' });
    expect(listing).toMatch(/^drwxr-xr-x .* bin$/m);
    expect(listing).toMatch(/^-rwxr-xr-x .* bin\/tool$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* bin\/sh -> tool$/m);
    expect(listing).toMatch(/^crw------- .* 5,\s+1 .* console$/m);
  });

  it('unpacks to the same bytes', () => {
    execFileSync('cpio', ['-id', '--quiet', '--no-absolute-filenames'], { input: archive, cwd: dir });
    expect(readFileSync(join(dir, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(join(dir, 'bin/tool')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(dir, 'odd-size'), 'utf8')).toBe('12345');
    expect(readFileSync(join(dir, 'empty'))).toHaveLength(0);
    expect(readlinkSync(join(dir, 'bin/sh'))).toBe('tool');
  });

  it('is aligned and reproducible', () => {
    expect(archive.length % 4).toBe(0);
    expect(archive.subarray(0, 6).toString()).toBe('070701');
    expect(cpioArchive([{ type: 'file', name: 'a', data: Buffer.from('x') }])).toEqual(cpioArchive([{ type: 'file', name: 'a', data: Buffer.from('x') }]));
  });
});

describe('parseShowDepends', () => {
  it('keeps load order, drops repeats and built-ins', () => {
    // `modprobe -a -S 6.12.117+deb12-amd64 --show-depends virtio_pci 9pnet_virtio 9p`, shortened.
    const text = [
      'builtin virtio_pci',
      'insmod /lib/modules/K/kernel/fs/netfs/netfs.ko.xz ',
      'insmod /lib/modules/K/kernel/net/9p/9pnet.ko.xz ',
      'insmod /lib/modules/K/kernel/net/9p/9pnet_virtio.ko.xz ',
      'insmod /lib/modules/K/kernel/fs/netfs/netfs.ko.xz ',
      'insmod /lib/modules/K/kernel/net/9p/9pnet.ko.xz ',
      'insmod /lib/modules/K/kernel/fs/9p/9p.ko.xz some_opt=1',
      '',
    ].join('\n');
    expect(parseShowDepends(text)).toEqual([
      '/lib/modules/K/kernel/fs/netfs/netfs.ko.xz',
      '/lib/modules/K/kernel/net/9p/9pnet.ko.xz',
      '/lib/modules/K/kernel/net/9p/9pnet_virtio.ko.xz',
      '/lib/modules/K/kernel/fs/9p/9p.ko.xz',
    ]);
  });

  it('names guest copies uncompressed, in load order', () => {
    expect(guestModuleName(0, '/x/netfs.ko.xz')).toBe('00-netfs.ko');
    expect(guestModuleName(3, '/x/9p.ko.zst')).toBe('03-9p.ko');
    expect(guestModuleName(12, '/x/virtio.ko')).toBe('12-virtio.ko');
  });
});
