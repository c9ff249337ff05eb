// The guest's initramfs: busybox, /init, the modules needed to reach the host
// over virtio-9p, and the freshly built ummunotify.ko.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { HarnessError, runChecked } from './proc.ts';

const execFileP = promisify(execFile);

/** Modules the guest needs before it can mount the host; modprobe adds their dependencies. */
export const GUEST_MODULES: readonly string[] = ['virtio_pci', '9pnet_virtio', '9p'];

/** Bump when the initramfs layout changes in a way the inputs below do not capture. */
const LAYOUT_VERSION = 1;

// ---- cpio (newc), pure ----------------------------------------------------

export type CpioEntry =
  | { readonly type: 'dir'; readonly name: string; readonly mode?: number }
  | { readonly type: 'file'; readonly name: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly type: 'symlink'; readonly name: string; readonly target: string }
  | { readonly type: 'chardev'; readonly name: string; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function cpioRecord(ino: number, name: string, mode: number, data: Uint8Array, rdev: readonly [number, number] = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const header = Buffer.from(
    '070701' +
      [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0].map(hex8).join(''),
    'ascii',
  );
  // The name is padded so that header + name ends on a 4-byte boundary; so is the data.
  return [header, nameBytes, pad4(header.length + nameBytes.length), Buffer.from(data), pad4(data.length)];
}

/**
 * A newc cpio archive, as the kernel unpacks into its initramfs. Written
 * here rather than with cpio(1) so that /dev/console can be a device node
 * without mknod (and so without root), and so that the bytes are
 * reproducible: owners and mtimes are all 0.
 */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, i) => {
    const ino = i + 1;
    switch (entry.type) {
      case 'dir':
        parts.push(...cpioRecord(ino, entry.name, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array()));
        break;
      case 'file':
        parts.push(...cpioRecord(ino, entry.name, S_IFREG | (entry.mode ?? 0o644), entry.data));
        break;
      case 'symlink':
        parts.push(...cpioRecord(ino, entry.name, S_IFLNK | 0o777, Buffer.from(entry.target, 'utf8')));
        break;
      case 'chardev':
        parts.push(...cpioRecord(ino, entry.name, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), [entry.major, entry.minor]));
        break;
    }
  });
  parts.push(...cpioRecord(0, 'TRAILER!!!', 0, new Uint8Array()));
  return Buffer.concat(parts);
}

// ---- module list, pure ----------------------------------------------------

/**
 * Module files in load order from `modprobe --show-depends` output, each once.
 * With several modules modprobe repeats shared dependencies; built-in modules
 * (`builtin virtio_pci` on 6.12) need no file.
 */
export function parseShowDepends(text: string): string[] {
  const seen = new Set<string>();
  const files: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^insmod\s+(\S+)/.exec(line.trim());
    if (m?.[1] !== undefined && !seen.has(m[1])) {
      seen.add(m[1]);
      files.push(m[1]);
    }
  }
  return files;
}

/** The name a module file gets in the initramfs: uncompressed, prefixed with its load position. */
export function guestModuleName(index: number, hostPath: string): string {
  const stem = basename(hostPath).replace(/\.ko(\.(xz|zst|gz))?$/, '');
  return `${String(index).padStart(2, '0')}-${stem}.ko`;
}

// ---- building, I/O --------------------------------------------------------

export interface InitramfsInputs {
  readonly kver: string;
  /** The freshly built ummunotify.ko. */
  readonly moduleData: Uint8Array;
  readonly initScript: string;
  /** Where cached archives live, one directory per kver. */
  readonly cacheDir: string;
}

async function decompressModule(path: string): Promise<Buffer> {
  if (path.endsWith('.ko')) return readFile(path);
  if (path.endsWith('.ko.gz')) return gunzipSync(await readFile(path));
  // busybox insmod cannot unpack these, so the host does.
  const tool = path.endsWith('.ko.xz') ? 'xz' : path.endsWith('.ko.zst') ? 'zstd' : undefined;
  if (tool === undefined) throw new HarnessError(`unknown module file type: ${path}`);
  const { stdout } = await execFileP(tool, ['-dc', path], { encoding: 'buffer', maxBuffer: 256 << 20 });
  return stdout;
}

function findBusybox(): string {
  for (const path of ['/usr/bin/busybox', '/bin/busybox']) if (existsSync(path)) return path;
  throw new HarnessError('busybox not found (install busybox-static)');
}

export async function guestModuleFiles(kver: string): Promise<string[]> {
  const r = await runChecked('modprobe', ['-a', '-S', kver, '--show-depends', ...GUEST_MODULES]);
  return parseShowDepends(r.stdout);
}

/**
 * Build the initramfs for one run, or reuse the cached one with the same
 * inputs. The cache key covers every byte that goes in, so a rebuilt
 * module or an edited init script always gives a fresh archive.
 */
export async function buildInitramfs(inputs: InitramfsInputs): Promise<string> {
  const busyboxPath = findBusybox();
  const busybox = await readFile(busyboxPath);
  const moduleFiles = await guestModuleFiles(inputs.kver);
  const modules = await Promise.all(moduleFiles.map(async (path, i) => ({ name: guestModuleName(i, path), data: await decompressModule(path) })));

  const hash = createHash('sha256');
  hash.update(`layout ${LAYOUT_VERSION}\0${inputs.kver}\0${inputs.initScript}\0`);
  hash.update(busybox);
  for (const m of modules) hash.update(`${m.name}\0`).update(m.data);
  hash.update(inputs.moduleData);
  const key = hash.digest('hex').slice(0, 16);

  const dir = join(inputs.cacheDir, inputs.kver);
  const archivePath = join(dir, `initramfs-${key}.cpio`);
  if (existsSync(archivePath)) return archivePath;

  const entries: CpioEntry[] = [
    ...['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'host', 'scratch', 'modules', 'root', 'tmp'].map(
      (name): CpioEntry => ({ type: 'dir', name }),
    ),
    // The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
    { type: 'chardev', name: 'dev/console', major: 5, minor: 1 },
    { type: 'file', name: 'bin/busybox', data: busybox, mode: 0o755 },
    { type: 'symlink', name: 'bin/sh', target: 'busybox' },
    { type: 'file', name: 'init', data: Buffer.from(inputs.initScript, 'utf8'), mode: 0o755 },
    ...modules.map((m): CpioEntry => ({ type: 'file', name: `modules/${m.name}`, data: m.data })),
    { type: 'file', name: 'modules/order', data: Buffer.from(modules.map((m) => `${m.name}\n`).join(''), 'utf8') },
    { type: 'file', name: 'ummunotify.ko', data: inputs.moduleData },
  ];

  await mkdir(dir, { recursive: true });
  await pruneOldArchives(dir);
  // Written under a unique name and renamed, so a concurrent run never reads half an archive.
  const tmp = `${archivePath}.${process.pid}.tmp`;
  await writeFile(tmp, cpioArchive(entries));
  await rename(tmp, archivePath);
  return archivePath;
}

/**
 * Each rebuild of the module makes a new archive, so old ones pile up. Only
 * stale ones go: a concurrent run may be about to boot a recent one.
 */
async function pruneOldArchives(dir: string): Promise<void> {
  const cutoff = Date.now() - 60 * 60 * 1000;
  for (const name of await readdir(dir)) {
    if (!name.startsWith('initramfs-')) continue;
    const path = join(dir, name);
    try {
      if ((await stat(path)).mtimeMs < cutoff) await rm(path, { force: true });
    } catch {
      // Another run pruned it first.
    }
  }
}
