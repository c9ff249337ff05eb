// deploy/Dockerfile.*, checked without a container engine: everything they
// copy is in the build context, everything they run exists in the
// repository, and they pull from nowhere but their base images' registries.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, posix } from 'node:path';
import { describe, expect, it } from 'vitest';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Instructions of a Dockerfile: comments dropped, continued lines joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

/** A .dockerignore pattern as a regular expression over context-relative paths (and their parents). */
function ignorePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/^\/+/, '')
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}(?:/.*)?$`);
}

function ignored(path: string, patterns: readonly RegExp[]): boolean {
  const clean = posix.normalize(path).replace(/\/$/, '');
  return patterns.some((p) => p.test(clean));
}

const DOCKERFILES = ['deploy/Dockerfile.daemon', 'deploy/Dockerfile.target'];
const BASE_IMAGES = new Set(['node:20-bookworm', 'node:20-bookworm-slim', 'python:3.11-slim-bookworm']);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const ignores = readFileSync('.dockerignore', 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map(ignorePattern);

describe('.dockerignore patterns', () => {
  it('match like Docker: ** across directories, * within one, a directory with everything under it', () => {
    const p = ['**/node_modules', 'build', '*.log', 'daemon/dist'].map(ignorePattern);
    expect(ignored('node_modules/x/y.js', p)).toBe(true);
    expect(ignored('clients/node/node_modules', p)).toBe(true);
    expect(ignored('build/clients/c', p)).toBe(true);
    expect(ignored('kernel/build.sh', p)).toBe(false);
    expect(ignored('a.log', p)).toBe(true);
    expect(ignored('daemon/dist/', p)).toBe(true);
    expect(ignored('daemon/src', p)).toBe(false);
  });
});

describe.each(DOCKERFILES)('%s', (file) => {
  const steps = instructions(readFileSync(file, 'utf8'));

  it('starts from bookworm images only, and names no URL', () => {
    const froms = steps.filter((s) => s.op === 'FROM').map((s) => s.args.split(/\s+/)[0] ?? '');
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(BASE_IMAGES, image).toContain(image);
    expect(readFileSync(file, 'utf8')).not.toMatch(/[a-z]+:\/\//);
  });

  it("uses a Node.js that package.json's engines accepts", () => {
    const minimum = Number(/^>=(\d+)/.exec(pkg.engines.node)?.[1]);
    for (const step of steps.filter((s) => s.op === 'FROM' && s.args.startsWith('node:'))) {
      expect(Number(/^node:(\d+)/.exec(step.args)?.[1])).toBeGreaterThanOrEqual(minimum);
    }
  });

  it('copies only what is in the build context (the repository, less .dockerignore)', () => {
    const copies = steps.filter((s) => (s.op === 'COPY' || s.op === 'ADD') && !s.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const step of copies) {
      expect(step.op, 'ADD can fetch URLs and unpack archives: use COPY').toBe('COPY');
      const sources = step.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(source), `${source} does not exist`).toBe(true);
        expect(ignored(source, ignores), `${source} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('runs only npm scripts and tools the repository has', () => {
    const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.args);
    for (const run of runs) {
      for (const [, script] of run.matchAll(/npm run ([\w:-]+)/g)) expect(Object.keys(pkg.scripts), `npm run ${script}`).toContain(script);
      for (const [, tool] of run.matchAll(/npx ([\w@/.-]+)/g)) {
        expect({ ...pkg.dependencies, ...pkg.devDependencies }, `npx ${tool}`).toHaveProperty([tool ?? '']);
      }
    }
  });

  it('copies its entrypoint, executable, to where ENTRYPOINT runs it', () => {
    const entry = steps.find((s) => s.op === 'ENTRYPOINT');
    const path = (JSON.parse(entry?.args ?? '[]') as string[])[0] ?? '';
    // Where each file copied from the context lands in the final stage.
    let workdir = '/';
    let copied: Array<{ source: string; dest: string }> = [];
    for (const step of steps) {
      if (step.op === 'FROM') [workdir, copied] = ['/', []];
      if (step.op === 'WORKDIR') workdir = posix.resolve(workdir, step.args);
      if (step.op !== 'COPY' || step.args.includes('--from=')) continue;
      const words = step.args.split(/\s+/).filter((a) => !a.startsWith('--'));
      const target = words.at(-1) ?? '';
      for (const source of words.slice(0, -1)) {
        copied.push({ source, dest: target.endsWith('/') ? posix.join(posix.resolve(workdir, target), basename(source)) : posix.resolve(workdir, target) });
      }
    }
    const found = copied.find((c) => c.dest === path);
    expect(found, `nothing is copied to ${path}`).toBeDefined();
    expect(statSync(found?.source ?? '').mode & 0o111, `${found?.source} must be executable`).not.toBe(0);
  });
});
