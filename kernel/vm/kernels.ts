// Which Debian kernel `--kernel` means, and getting its image and headers installed.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HarnessError, run, runInherit } from './proc.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APT_INSTALL = join(REPO_ROOT, 'scripts', 'apt-install.sh');

/**
 * Host tools the harness needs whatever the kernel. xz-utils and zstd unpack
 * compressed modules for the initramfs; make and gcc build the module.
 */
export const TOOL_PACKAGES: readonly string[] = [
  'qemu-system-x86',
  'busybox-static',
  'kmod',
  'cpio',
  'xz-utils',
  'zstd',
  'make',
  'gcc',
];

export type KernelSpec =
  /** Debian's default kernel (bookworm: 6.1), through the linux-image-amd64 metapackage. */
  | { readonly kind: 'default'; readonly series: '6.1' }
  /** The newest kernel of a series that has both an image and a headers package. */
  | { readonly kind: 'newest'; readonly series: string }
  | { readonly kind: 'exact'; readonly kver: string };

/** A Debian kernel ABI name as used in package names, /boot and /lib/modules. */
const KVER = /^\d+\.\d+\.\d+(?:-\d+|\+deb\d+)-amd64$/;

export function parseKernelSpec(text: string): KernelSpec | undefined {
  if (text === '6.1') return { kind: 'default', series: '6.1' };
  if (/^\d+\.\d+$/.test(text)) return { kind: 'newest', series: text };
  if (KVER.test(text)) return { kind: 'exact', kver: text };
  return undefined;
}

export function kernelPackages(kver: string): readonly string[] {
  return [`linux-image-${kver}`, `linux-headers-${kver}`];
}

/** Numeric parts of a kernel version, for ordering: 6.12.117+deb12-amd64 -> [6, 12, 117, 12]. */
function versionKey(kver: string): number[] {
  return (kver.match(/\d+/g) ?? []).map(Number);
}

export function compareKver(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? -1) - (kb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * kvers of a series (e.g. `6.12`) that have both an image and a headers
 * package among the given package names, newest first. Only the plain amd64
 * flavour: not -cloud, -rt, -dbg or -unsigned, and not the `6.12-amd64`
 * metapackages.
 */
export function kversWithHeaders(series: string, packageNames: readonly string[]): string[] {
  const escaped = series.replace(/\./g, '\\.');
  const flavour = `(${escaped}\\.\\d+(?:-\\d+|\\+deb\\d+)-amd64)`;
  const image = new RegExp(`^linux-image-${flavour}$`);
  const headers = new RegExp(`^linux-headers-${flavour}$`);
  const images = new Set<string>();
  const withHeaders = new Set<string>();
  for (const name of packageNames) {
    const mi = image.exec(name);
    if (mi?.[1] !== undefined) images.add(mi[1]);
    const mh = headers.exec(name);
    if (mh?.[1] !== undefined) withHeaders.add(mh[1]);
  }
  return [...images].filter((k) => withHeaders.has(k)).sort((a, b) => compareKver(b, a));
}

/** The kver a metapackage pulls in, from its Depends field: `linux-image-6.1.0-56-amd64 (= 6.1.192-2)`. */
export function kverFromDepends(depends: string, prefix: 'linux-image-' | 'linux-headers-'): string | undefined {
  for (const item of depends.split(',')) {
    const name = item.trim().split(/[\s|(]/)[0] ?? '';
    if (name.startsWith(prefix)) {
      const kver = name.slice(prefix.length);
      if (KVER.test(kver)) return kver;
    }
  }
  return undefined;
}

export interface InstalledKernel {
  readonly kver: string;
  readonly image: string;
  readonly buildDir: string;
}

export async function aptInstall(packages: readonly string[]): Promise<void> {
  const code = await runInherit('sh', [APT_INSTALL, ...packages]);
  if (code !== 0) throw new HarnessError(`could not install ${packages.join(' ')} (scripts/apt-install.sh exit status ${code})`);
}

async function dpkgField(pkg: string, field: string): Promise<string | undefined> {
  const r = await run('dpkg-query', ['-W', '-f', `\${db:Status-Status}\t\${${field}}`, pkg]);
  if (r.code !== 0) return undefined;
  const [status, value] = r.stdout.split('\t');
  return status === 'installed' ? value : undefined;
}

/** Names of installed packages matching a dpkg-query glob. */
async function installedPackages(glob: string): Promise<string[]> {
  const r = await run('dpkg-query', ['-W', '-f', '${db:Status-Status}\t${Package}\n', glob]);
  return r.stdout
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((f) => f[0] === 'installed' && f[1] !== undefined)
    .map((f) => f[1] as string);
}

async function aptPackageNames(prefix: string): Promise<string[]> {
  const r = await run('apt-cache', ['pkgnames', prefix]);
  return r.stdout.split('\n').filter((s) => s !== '');
}

async function resolveNewest(series: string): Promise<string> {
  const installed = kversWithHeaders(series, await installedPackages(`linux-*-${series}.*`));
  if (installed[0] !== undefined) return installed[0];
  const known = async () =>
    kversWithHeaders(series, [...(await aptPackageNames(`linux-image-${series}.`)), ...(await aptPackageNames(`linux-headers-${series}.`))]);
  let candidates = await known();
  if (candidates.length === 0) {
    // A fresh machine may have no package lists yet.
    const code = await runInherit('sh', [APT_INSTALL, '--lists']);
    if (code !== 0) throw new HarnessError('could not fetch apt package lists');
    candidates = await known();
  }
  const newest = candidates[0];
  if (newest === undefined) throw new HarnessError(`apt knows no linux-image-${series}.N-amd64 that has a matching linux-headers package`);
  return newest;
}

/**
 * Install (when missing) the image and headers that `spec` names, and say
 * where they are. Everything is checked on disk afterwards, since an
 * interrupted install can leave a package registered but files missing.
 */
export async function ensureKernel(spec: KernelSpec): Promise<InstalledKernel> {
  let kver: string;
  switch (spec.kind) {
    case 'default': {
      await aptInstall(['linux-image-amd64', 'linux-headers-amd64']);
      const image = kverFromDepends((await dpkgField('linux-image-amd64', 'Depends')) ?? '', 'linux-image-');
      const headers = kverFromDepends((await dpkgField('linux-headers-amd64', 'Depends')) ?? '', 'linux-headers-');
      if (image === undefined || headers === undefined) throw new HarnessError('cannot tell which kernel linux-image-amd64 / linux-headers-amd64 installed');
      if (image !== headers) throw new HarnessError(`linux-image-amd64 pulls ${image} but linux-headers-amd64 pulls ${headers}; upgrade both`);
      if (!image.startsWith(`${spec.series}.`)) throw new HarnessError(`linux-image-amd64 is ${image}, not a ${spec.series} kernel; use --kernel with a full version`);
      kver = image;
      break;
    }
    case 'newest':
      kver = await resolveNewest(spec.series);
      break;
    case 'exact':
      kver = spec.kver;
      break;
  }
  await aptInstall(kernelPackages(kver));
  const image = `/boot/vmlinuz-${kver}`;
  const buildDir = `/lib/modules/${kver}/build`;
  for (const path of [image, buildDir, `/lib/modules/${kver}/modules.dep`]) {
    if (!existsSync(path)) throw new HarnessError(`${path} is missing although ${kernelPackages(kver).join(' and ')} are installed`);
  }
  return { kver, image, buildDir };
}
