// The docs cannot rot: every test the docs (docs/*.md, README.md) cite exists
// under that exact title and is not switched off, every reviewer question of
// docs/semantics.md is answered with tests for both layers, and no relative
// link points at a file that is gone. (That the cited tests pass is npm
// test's job: it runs them all.)

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkReference, parseReferences, relativeLinks, sections } from './references.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = join(ROOT, 'docs');
const SEMANTICS = join(DOCS, 'semantics.md');

/** The kernel reviewer's questions, by the letter that starts their heading. */
const QUESTIONS = ['a', 'b', 'c', 'd', 'e', 'f'] as const;

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

const markdown = readFileSync(SEMANTICS, 'utf8');
const documents = [join(ROOT, 'README.md'), ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f))];

describe('test references in the docs', () => {
  it.each(documents.map((d) => [relative(ROOT, d), d]))('%s cites only tests that exist under the exact title, run as written, and say where they run', (_name, doc) => {
    const problems = parseReferences(readFileSync(doc, 'utf8')).flatMap((ref) =>
      checkReference(ref, read(join(ROOT, ref.path)), relative(ROOT, resolve(dirname(doc), ref.href))),
    );
    expect(problems).toEqual([]);
  });
});

describe('docs/semantics.md', () => {
  it('answers every question, each with at least one kernel test and one daemon-side test', () => {
    const answered = sections(markdown).filter((s) => /^\([a-z]\) /.test(s.heading));
    expect(answered.map((s) => s.heading.slice(1, 2))).toEqual([...QUESTIONS]);
    for (const section of answered) {
      const cited = parseReferences(section.body);
      expect(cited.length, section.heading).toBeGreaterThan(0);
      expect(cited.some((r) => r.path.startsWith('kernel/selftest/')), `${section.heading}: a kernel selftest case`).toBe(true);
      expect(cited.some((r) => !r.path.startsWith('kernel/')), `${section.heading}: a daemon, client or conformance test`).toBe(true);
    }
  });
});

describe('links in the docs', () => {
  it.each(documents.map((d) => [relative(ROOT, d), d]))('%s: every relative link points at a file that exists', (_name, doc) => {
    const missing = relativeLinks(readFileSync(doc, 'utf8'))
      .filter((l) => !existsSync(resolve(dirname(doc), l.href)))
      .map((l) => `line ${l.line}: ${l.href}`);
    expect(missing).toEqual([]);
  });
});
