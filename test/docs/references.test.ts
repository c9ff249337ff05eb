import { describe, expect, it } from 'vitest';
import { checkReference, parseReferences, pytestTests, relativeLinks, scenarioFacts, sections, tapCases, vitestTests, type Reference } from './references.ts';

const SPEC = `
describe('suite', () => {
  it('plain', () => {});
  it("it's double-quoted", () => {});
  test(\`a template\`, () => {});
  it.skip('skipped', () => {});
  it.skipIf(process.env.X)('conditional', () => {});
  it('with options', { timeout: 5 }, async () => {});
});
describe.skip('off', () => {
  it('inside a skipped suite', () => {});
});
it(\`\${'dynamic'}\`, () => {});
`;

const SELFTEST = `
static void f(void) { tap_diag("not a case"); }
DEFINE_CASES(x,
	CASE(test_a, "x: one line"),
	CASE(test_b,
	     "x: on the next line"),
	{
		.name = "x: " "joined \\"quoted\\"",
		.fn = f,
	},
);
`;

function ref(over: Partial<Reference>): Reference {
  return { path: 'test/a.test.ts', title: 'plain', only: undefined, href: '../test/a.test.ts', line: 1, ...over };
}

describe('reading the doc', () => {
  it('finds references with titles, scenario references with engine tags, and skips other links', () => {
    const md = [
      'See [`test/daemon/a.test.ts` › "x: y, z"](../test/daemon/a.test.ts) and [the code](../daemon/src/session.ts).',
      '[`test/conformance/scenarios/046-x.json` (device only)](../test/conformance/scenarios/046-x.json)',
      '[`daemon/src/paths.ts`](../daemon/src/paths.ts) [`kernel/selftest/lifetime.c` › "lifetime: a"](../kernel/selftest/lifetime.c)',
    ].join('\n');
    expect(parseReferences(md)).toEqual([
      { path: 'test/daemon/a.test.ts', title: 'x: y, z', only: undefined, href: '../test/daemon/a.test.ts', line: 1 },
      { path: 'test/conformance/scenarios/046-x.json', title: undefined, only: 'device', href: '../test/conformance/scenarios/046-x.json', line: 2 },
      { path: 'kernel/selftest/lifetime.c', title: 'lifetime: a', only: undefined, href: '../kernel/selftest/lifetime.c', line: 3 },
    ]);
  });

  it('splits level-2 sections and lists relative links without anchors', () => {
    expect(sections('intro\n## (a) One?\ntext\n### sub\n## (b) Two\n').map((s) => s.heading)).toEqual(['(a) One?', '(b) Two']);
    expect(relativeLinks('[a](x.md#y) [b](https://e.org) [c](#z) [d](../y/)')).toEqual([
      { href: 'x.md', line: 1 },
      { href: '../y/', line: 1 },
    ]);
  });
});

describe('reading the tests', () => {
  it('lists Vitest titles and says which would not run', () => {
    expect(vitestTests(SPEC)).toEqual([
      { title: 'plain', disabled: undefined },
      { title: "it's double-quoted", disabled: undefined },
      { title: 'a template', disabled: undefined },
      { title: 'skipped', disabled: 'it.skip' },
      { title: 'conditional', disabled: 'it.skipIf' },
      { title: 'with options', disabled: undefined },
      { title: 'inside a skipped suite', disabled: 'describe.skip' },
    ]);
  });

  it('lists TAP case names from the DEFINE_CASES table only', () => {
    expect(tapCases(SELFTEST)).toEqual(['x: one line', 'x: on the next line', 'x: joined "quoted"']);
  });

  it('lists pytest functions and scenario engines', () => {
    expect(pytestTests('def test_a(x) -> None:\n    def test_inner():\ndef helper():\n')).toEqual(['test_a']);
    expect(scenarioFacts('{"description":"d","steps":[]}').engines).toEqual(['uffd', 'device']);
    expect(scenarioFacts('{"description":"d","steps":[],"engines":["device"]}').engines).toEqual(['device']);
    expect(() => scenarioFacts('{"steps":[]}')).toThrow(/description/);
  });
});

describe('checking a reference', () => {
  it('accepts a test that exists and runs', () => {
    expect(checkReference(ref({}), SPEC, 'test/a.test.ts')).toEqual([]);
    expect(checkReference(ref({ path: 'kernel/selftest/x.c', title: 'x: on the next line' }), SELFTEST, 'kernel/selftest/x.c')).toEqual([]);
  });

  it('refuses a missing file, a wrong link, an unknown or disabled title, a missing title', () => {
    expect(checkReference(ref({}), undefined, 'test/a.test.ts')).toEqual(['line 1: test/a.test.ts › "plain": no such file']);
    expect(checkReference(ref({}), SPEC, 'test/b.test.ts')[0]).toMatch(/link goes to test\/b.test.ts/);
    expect(checkReference(ref({ title: 'plai' }), SPEC, 'test/a.test.ts')[0]).toMatch(/no it\(\)\/test\(\) with that exact title/);
    expect(checkReference(ref({ title: 'skipped' }), SPEC, 'test/a.test.ts')[0]).toMatch(/it\.skip/);
    expect(checkReference(ref({ title: undefined }), SPEC, 'test/a.test.ts')[0]).toMatch(/name the test/);
    expect(checkReference(ref({ path: 'kernel/selftest/x.c', title: 'not a case' }), SELFTEST, 'kernel/selftest/x.c')[0]).toMatch(/no TAP case/);
  });

  it('makes a scenario link say "(X only)" exactly when the scenario runs on one engine', () => {
    const path = 'test/conformance/scenarios/001-x.json';
    const both = '{"description":"d","steps":[]}';
    const device = '{"description":"d","steps":[],"engines":["device"]}';
    expect(checkReference(ref({ path, title: undefined }), both, path)).toEqual([]);
    expect(checkReference(ref({ path, title: undefined, only: 'device' }), device, path)).toEqual([]);
    expect(checkReference(ref({ path, title: undefined }), device, path)[0]).toMatch(/must say "\(device only\)"/);
    expect(checkReference(ref({ path, title: undefined, only: 'uffd' }), both, path)[0]).toMatch(/must say no/);
  });
});
