// Test references in the docs, and the tests they name, read without side
// effects: docs/semantics.md must only cite tests that exist (that they pass
// is npm test's job), so the checker in semantics.test.ts parses both sides.
//
// A reference is a markdown link whose text names the file in backticks and,
// unless it is a conformance scenario (the whole file is the test), the
// test's exact title after " › ":
//
//   [`test/daemon/lifecycle.test.ts` › "SIGTERM: streams end cleanly, ..."](../test/daemon/lifecycle.test.ts)
//   [`kernel/selftest/lifetime.c` › "lifetime: target exit after SCM_RIGHTS: ..."](../kernel/selftest/lifetime.c)
//   [`test/conformance/scenarios/004-duplicate-cookie.json`](../test/conformance/scenarios/004-duplicate-cookie.json)
//   [`test/conformance/scenarios/046-device-pageout.json` (device only)](../test/conformance/scenarios/046-device-pageout.json)

import ts from 'typescript';

export type Engine = 'uffd' | 'device';

export interface Reference {
  /** Repository-relative path, as written in backticks. */
  readonly path: string;
  /** The test's title; undefined for a scenario file. */
  readonly title: string | undefined;
  /** "(uffd only)" / "(device only)" in the link text. */
  readonly only: Engine | undefined;
  /** The link target as written, relative to the document. */
  readonly href: string;
  /** 1-based line of the document. */
  readonly line: number;
}

export interface DeclaredTest {
  readonly title: string;
  /** Why the test would not run as written (it.skip, it.todo, skipIf...), if it would not. */
  readonly disabled: string | undefined;
}

const REFERENCE = /\[`([^`]+)`(?: › "([^"]+)")?(?: \((uffd|device) only\))?\]\(([^)\s]+)\)/g;
const SCENARIO = /^test\/conformance\/scenarios\/[^/]+\.json$/;

/** Whether a link's backticked path is a test file (only those links are references). */
export function isTestPath(path: string): boolean {
  return SCENARIO.test(path) || /\.test\.ts$/.test(path) || /^kernel\/selftest\/[^/]+\.c$/.test(path) || /^clients\/python\/tests\/test_[^/]+\.py$/.test(path);
}

/** Every test reference in a markdown document, in order. */
export function parseReferences(markdown: string): Reference[] {
  const out: Reference[] = [];
  markdown.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(REFERENCE)) {
      const [, path = '', title, only, href = ''] = m;
      if (!isTestPath(path)) continue;
      out.push({ path, title, only: only as Engine | undefined, href, line: i + 1 });
    }
  });
  return out;
}

export interface Section {
  readonly heading: string;
  readonly body: string;
}

/** The level-2 sections of a document (the text before the first one is dropped). */
export function sections(markdown: string): Section[] {
  const parts = markdown.split(/^## /m).slice(1);
  return parts.map((part) => {
    const nl = part.indexOf('\n');
    return { heading: (nl < 0 ? part : part.slice(0, nl)).trim(), body: nl < 0 ? '' : part.slice(nl + 1) };
  });
}

/** Every relative link target of a document (http(s), mailto and pure anchors left out), anchors cut off. */
export function relativeLinks(markdown: string): Array<{ readonly href: string; readonly line: number }> {
  const out: Array<{ href: string; line: number }> = [];
  markdown.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const href = (m[1] ?? '').split('#')[0] ?? '';
      if (href === '' || /^[a-z]+:/i.test(href)) continue;
      out.push({ href, line: i + 1 });
    }
  });
  return out;
}

const TEST_FUNCTIONS = new Set(['it', 'test']);
const SUITE_FUNCTIONS = new Set(['describe', 'suite']);
const DISABLING = new Set(['skip', 'todo', 'skipIf', 'runIf', 'fails']);

/** `it`, `it.skip`, `it.skipIf(c)`, `describe.todo`...: the base name and the modifiers. */
function calleeParts(callee: ts.Expression): { base: string; modifiers: string[] } | undefined {
  if (ts.isIdentifier(callee)) return { base: callee.text, modifiers: [] };
  if (ts.isPropertyAccessExpression(callee)) {
    const inner = calleeParts(callee.expression);
    return inner && { base: inner.base, modifiers: [...inner.modifiers, callee.name.text] };
  }
  if (ts.isCallExpression(callee)) return calleeParts(callee.expression);
  return undefined;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** The tests a Vitest spec declares with a literal title, and whether each would run as written. */
export function vitestTests(source: string, fileName = 'spec.ts'): DeclaredTest[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: DeclaredTest[] = [];
  const visit = (node: ts.Node, disabledBy: string | undefined): void => {
    let inner = disabledBy;
    if (ts.isCallExpression(node)) {
      const parts = calleeParts(node.expression);
      const title = literalText(node.arguments[0]);
      if (parts && title !== undefined && (TEST_FUNCTIONS.has(parts.base) || SUITE_FUNCTIONS.has(parts.base))) {
        const modifier = parts.modifiers.find((m) => DISABLING.has(m));
        const disabled = disabledBy ?? (modifier === undefined ? undefined : `${parts.base}.${modifier}`);
        if (TEST_FUNCTIONS.has(parts.base)) out.push({ title, disabled });
        else inner = disabled;
      }
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(file, undefined);
  return out;
}

function unescapeC(literal: string): string {
  return literal.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/**
 * The TAP case names of a selftest file: the string literals of its
 * DEFINE_CASES(...) table, adjacent literals joined as the C compiler does.
 */
export function tapCases(source: string): string[] {
  const at = source.indexOf('DEFINE_CASES(');
  if (at < 0) return [];
  const table = source.slice(at);
  const out: string[] = [];
  for (const m of table.matchAll(/"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*/g)) {
    const pieces = [...m[0].matchAll(/"((?:[^"\\\n]|\\.)*)"/g)].map((p) => unescapeC(p[1] ?? ''));
    out.push(pieces.join(''));
  }
  return out;
}

/** The pytest test functions of a module, by name. */
export function pytestTests(source: string): string[] {
  return [...source.matchAll(/^def (test_\w+)\(/gm)].map((m) => m[1] ?? '');
}

export interface ScenarioFacts {
  readonly engines: readonly Engine[];
}

/** The facts of a conformance scenario that a reference may claim; throws on a file that is not one. */
export function scenarioFacts(json: string): ScenarioFacts {
  const s = JSON.parse(json) as { description?: unknown; steps?: unknown; engines?: unknown };
  if (typeof s.description !== 'string' || !Array.isArray(s.steps)) throw new Error('not a scenario: it needs description and steps');
  const engines = s.engines === undefined ? ['uffd', 'device'] : s.engines;
  if (!Array.isArray(engines) || !engines.every((e) => e === 'uffd' || e === 'device')) throw new Error(`engines ${JSON.stringify(s.engines)}`);
  return { engines: engines as Engine[] };
}

/**
 * What is wrong with one reference, given the referenced file's text
 * (undefined: no such file); [] when it names a test that exists and runs.
 */
export function checkReference(ref: Reference, fileText: string | undefined, resolvedHref: string): string[] {
  const where = `line ${ref.line}: ${ref.path}${ref.title === undefined ? '' : ` › "${ref.title}"`}`;
  const problems: string[] = [];
  if (resolvedHref !== ref.path) problems.push(`${where}: the link goes to ${resolvedHref}, not to the file named`);
  if (fileText === undefined) return [...problems, `${where}: no such file`];
  if (SCENARIO.test(ref.path)) {
    if (ref.title !== undefined) problems.push(`${where}: a scenario is cited by its file alone`);
    let facts: ScenarioFacts;
    try {
      facts = scenarioFacts(fileText);
    } catch (e) {
      return [...problems, `${where}: ${(e as Error).message}`];
    }
    const single = facts.engines.length === 1 ? facts.engines[0] : undefined;
    if (single !== ref.only) {
      problems.push(`${where}: the scenario runs on ${facts.engines.join(' and ')}; the link must say ${single ? `"(${single} only)"` : 'no "(... only)"'}`);
    }
    return problems;
  }
  if (ref.only !== undefined) problems.push(`${where}: "(${ref.only} only)" is for scenarios; say where the test runs in the text`);
  if (ref.title === undefined) return [...problems, `${where}: name the test: [\`path\` › "title"](href)`];
  if (ref.path.endsWith('.ts')) {
    const test = vitestTests(fileText, ref.path).find((t) => t.title === ref.title);
    if (test === undefined) problems.push(`${where}: no it()/test() with that exact title`);
    else if (test.disabled !== undefined) problems.push(`${where}: the test is declared with ${test.disabled}, so it proves nothing here`);
  } else if (ref.path.endsWith('.c')) {
    if (!tapCases(fileText).includes(ref.title)) problems.push(`${where}: no TAP case with that exact name in its DEFINE_CASES table`);
  } else if (ref.path.endsWith('.py')) {
    if (!pytestTests(fileText).includes(ref.title)) problems.push(`${where}: no test function of that name`);
  }
  return problems;
}
