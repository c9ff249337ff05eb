// What a process of another uid runs, in a place that uid can read. The
// tests run as root and play other users, but the checkout may sit where no
// other user can reach it (a clone under /root or in a mktemp -d directory,
// both 0700), and the tests must neither widen its modes nor its parents'.
// So a program for another uid is bundled (esbuild: its TypeScript and its
// node_modules in one file) into a fresh private directory, root-owned,
// 0755 directories and 0644 files, together with the files its modules load
// by path at run time (native addons, .proto files), each at its path in
// the repository; and it runs from there. The directory goes after the spec
// file's tests.

import { build, type Metafile, type Plugin } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Files that modules load by path at run time rather than import, so no
 * bundle holds them: by the module that loads them, repository paths both.
 * A bundle of a program takes those of the modules it holds. A module that
 * starts loading a new file by path needs its line here, or a process of
 * another uid fails with ENOENT under the private directory.
 */
const LOADED_BY_PATH: Readonly<Record<string, readonly string[]>> = {
  'daemon/src/native.ts': ['daemon/native/build/Release/ummunotify.node'],
  'daemon/src/proto.ts': ['proto/ummunotify/v1/ummunotify.proto'],
  'test/support/memops/index.ts': ['test/support/memops/build/Release/memops.node'],
  'test/support/target-main.ts': ['test/support/unmapper-worker.mjs', 'test/support/memops/build/Release/memops.node'],
};

/**
 * Tests that run processes as other uids play those users as root; run by
 * anyone else they fail at once, with this one line, not later with an
 * EPERM from spawn or setpriv.
 */
export function needRoot(uid: number): void {
  const me = process.getuid?.();
  if (me !== 0) throw new Error(`this test needs root: it runs helpers as other uids (uid ${uid}; this process is uid ${me})`);
}

/**
 * Whether a process asked for as `uid` is another user's, who may not be
 * able to read the checkout (root, uid 0, can). Any uid at all needs root.
 */
export function isOtherUid(uid: number | undefined): uid is number {
  if (uid === undefined) return false;
  needRoot(uid);
  return uid !== 0;
}

let dir: string | undefined;
const files = new Map<string, string>();
const programs = new Map<string, Promise<string>>();

// At import, so at the top level of whichever spec file uses this module:
// each file's directory goes once that file's tests are done.
afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  files.clear();
  programs.clear();
});

/** Every ancestor of `path` lets everyone through (o+x). */
function searchableByAll(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (dirname(p) === p) return true;
  }
}

/** The private directory, made on first use; the working directory for processes of other uids. */
export function otherUidDir(): string {
  if (dir === undefined) {
    // $TMPDIR may be private too; /tmp never is.
    const base = searchableByAll(tmpdir()) ? tmpdir() : '/tmp';
    dir = mkdtempSync(join(base, 'umn-other-uid-'));
    chmodSync(dir, 0o755);
  }
  return dir;
}

/** `repoPath`'s place in the private directory, its parents made 0755 whatever the umask. */
function placeFor(repoPath: string): string {
  const root = otherUidDir();
  const target = join(root, repoPath);
  const parents: string[] = [];
  for (let p = dirname(target); p !== root; p = dirname(p)) parents.unshift(p);
  for (const p of parents) {
    mkdirSync(p, { recursive: true });
    chmodSync(p, 0o755);
  }
  return target;
}

/** The private copy of one repository file (`daemon/native/build/Release/ummunotify.node`, say), made on first use. */
export function otherUidFile(repoPath: string): string {
  let copy = files.get(repoPath);
  if (copy === undefined) {
    copy = placeFor(repoPath);
    copyFileSync(join(REPO, repoPath), copy);
    chmodSync(copy, 0o644);
    files.set(repoPath, copy);
  }
  return copy;
}

/** Repository-relative, with forward slashes, for a path esbuild hands over. */
function repoPathOf(path: string): string {
  return relative(REPO, path).split(sep).join('/');
}

/**
 * Bundled modules keep their own import.meta.url, __dirname and __filename:
 * each is rewritten to name the module's own place in the private
 * directory, where the files it loads by path are copied.
 */
function ownLocation(): Plugin {
  return {
    name: 'own-location',
    setup(b) {
      b.onLoad({ filter: /\.(?:[cm]?js|ts)$/ }, (args) => {
        let text = readFileSync(args.path, 'utf8');
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        if (!/import\.meta\.url|__dirname|__filename/.test(text)) return { contents: text, loader };
        // The prologue goes first, where a #! line may not stay.
        if (text.startsWith('#!')) text = `//${text}`;
        const prologue = [`const __umnUrl = new URL(${JSON.stringify(repoPathOf(args.path))}, __umnRoot).href;`];
        // Only CommonJS modules (node_modules) use these; esbuild wraps each in a function of its own.
        if (/__dirname|__filename/.test(text)) prologue.push('var __filename = __umnPath(__umnUrl), __dirname = __umnDirname(__filename);');
        return { contents: `${prologue.join(' ')}\n${text.replaceAll('import.meta.url', '__umnUrl')}`, loader };
      });
    },
  };
}

/** The package directories (repository-relative) whose code a bundle holds. */
function packagesOf(metafile: Metafile): Set<string> {
  const packages = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1] !== undefined) packages.add(m[1]);
  }
  return packages;
}

/** A package's .proto files (gRPC packages load theirs by path), without nested packages'. */
function protoFiles(packageDir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(REPO, packageDir), { withFileTypes: true, recursive: true })) {
    const path = repoPathOf(join(entry.parentPath, entry.name));
    if (entry.isFile() && path.endsWith('.proto') && !path.slice(packageDir.length).includes('/node_modules/')) found.push(path);
  }
  return found;
}

async function bundle(entry: string): Promise<string> {
  const out = placeFor(entry.replace(/\.ts$/, '.mjs'));
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'warning',
    plugins: [ownLocation()],
    banner: {
      // Executable (the daemon is started as $UMMUNOTIFYD); the root the
      // modules' locations are relative to; a require for the CommonJS
      // modules in the bundle, which an ES module lacks.
      js: [
        '#!/usr/bin/env node',
        `import { createRequire as __umnCreateRequire } from 'node:module';`,
        `import { dirname as __umnDirname } from 'node:path';`,
        `import { fileURLToPath as __umnPath } from 'node:url';`,
        `const __umnRoot = new URL(${JSON.stringify('../'.repeat(entry.split('/').length - 1) || './')}, import.meta.url);`,
        'const require = __umnCreateRequire(import.meta.url);',
      ].join('\n'),
    },
  });
  chmodSync(out, 0o755);
  const needed = new Set(Object.keys(result.metafile.inputs).flatMap((m) => LOADED_BY_PATH[m] ?? []));
  for (const p of packagesOf(result.metafile)) for (const f of protoFiles(p)) needed.add(f);
  for (const f of needed) otherUidFile(f);
  return out;
}

/**
 * The private bundle of the repository's TypeScript program `entry`
 * (`daemon/src/cli.ts`, say), made on first use: run it with plain node.
 */
export function otherUidProgram(entry: string): Promise<string> {
  let program = programs.get(entry);
  if (program === undefined) {
    program = bundle(entry);
    programs.set(entry, program);
  }
  return program;
}

export interface NodeCommand {
  /** node's arguments up to the program's own. */
  readonly args: readonly string[];
  /** For another user: uid, gid and a working directory that user may enter. */
  readonly options: { readonly uid?: number; readonly gid?: number; readonly cwd?: string };
}

/**
 * How to run the repository's TypeScript program `entry` with node, as
 * `uid` if given: through tsx from the checkout, or, for another user, its
 * private bundle from the private directory.
 */
export async function nodeCommand(entry: string, uid?: number): Promise<NodeCommand> {
  if (!isOtherUid(uid)) return { args: ['--import', 'tsx', join(REPO, entry)], options: uid === undefined ? {} : { uid, gid: uid } };
  return { args: [await otherUidProgram(entry)], options: { uid, gid: uid, cwd: otherUidDir() } };
}
