import { describe, expect, it } from 'vitest';
import { planRun } from './args.ts';
import type { Benchmark } from './benchmark.ts';
import { extractFigures, formatFigureLine, formatTable, missingFigures, parseTarget, targetStatus, validateFigure, type Figure } from './figures.ts';
import { countSuffix, expectedFigures, params } from './kernel/index.ts';
import { releaseMatches } from './native.ts';

const fig = (figure: string, value: number | string, target: string | null = null): Figure => ({ bench: 'kernel', figure, value, unit: 'ns', target });

describe('extractFigures', () => {
  it('finds figure lines among kernel console noise, CR LF and a partial console line', () => {
    const out = [
      '[    1.234567] ummunotify: loaded\r',
      '{"bench":"kernel","figure":"invalidation_ns_1k","value":12.5,"unit":"ns","target":null}\r',
      '[    2.000000] random: crng init done{"bench":"kernel","figure":"ratio_1m_over_1k","value":1.2,"unit":"x","target":"< 3"}\r',
      'plain progress line',
      '{"bench":"other","figure":"x","value":1,"unit":null,"target":null}',
      '',
    ].join('\n');
    const { figures, problems } = extractFigures(out, 'kernel');
    expect(problems).toEqual([]);
    expect(figures.map((f) => f.figure)).toEqual(['invalidation_ns_1k', 'ratio_1m_over_1k']);
    expect(figures[1]).toEqual({ bench: 'kernel', figure: 'ratio_1m_over_1k', value: 1.2, unit: 'x', target: '< 3' });
  });

  it('reports a figure line cut by a console message instead of dropping it', () => {
    const out = '{"bench":"kernel","figure":"a","val[   3.1] oops\n';
    const { figures, problems } = extractFigures(out, 'kernel');
    expect(figures).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^not JSON/);
  });

  it('reports duplicates and invalid shapes', () => {
    const line = formatFigureLine(fig('a', 1));
    const { figures, problems } = extractFigures(`${line}\n${line}\n{"bench":"kernel","figure":"b","value":"x","unit":null}\n`, 'kernel');
    expect(figures).toHaveLength(1);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/duplicate figure a/);
    expect(problems[1]).toMatch(/missing key\(s\): target/);
  });
});

describe('validateFigure', () => {
  it('accepts numbers and strings as values', () => {
    expect(validateFigure({ bench: 'kernel', figure: 'kernel_release', value: '6.12.117+deb12-amd64', unit: null, target: null })).toEqual({
      bench: 'kernel',
      figure: 'kernel_release',
      value: '6.12.117+deb12-amd64',
      unit: null,
      target: null,
    });
  });
  it.each([
    [[], 'not a JSON object'],
    [{ bench: 'k', figure: 'f', value: 1, unit: 'ns', target: null, extra: 1 }, 'unexpected key(s): extra'],
    [{ bench: 'k', figure: '', value: 1, unit: 'ns', target: null }, 'figure must be a non-empty string'],
    [{ bench: 'k', figure: 'f', value: true, unit: 'ns', target: null }, 'value must be a number or a string'],
    [{ bench: 'k', figure: 'f', value: 1, unit: 3, target: null }, 'unit must be a string or null'],
    [{ bench: 'k', figure: 'f', value: 1, unit: 'ns', target: 'small' }, 'target "small" is not like "< 3"'],
    [{ bench: 'k', figure: 'f', value: 'x', unit: 'ns', target: '< 3' }, 'a figure with a target needs a numeric value'],
  ])('rejects %j', (v, reason) => {
    expect(validateFigure(v)).toBe(reason);
  });
});

describe('targets', () => {
  it('parses comparisons', () => {
    expect(parseTarget('< 3')).toEqual({ op: '<', bound: 3 });
    expect(parseTarget('>=0.5')).toEqual({ op: '>=', bound: 0.5 });
    expect(parseTarget('about 3')).toBeUndefined();
  });
  it('evaluates them', () => {
    expect(targetStatus(fig('r', 2.99, '< 3'))).toBe('met');
    expect(targetStatus(fig('r', 3, '< 3'))).toBe('missed');
    expect(targetStatus(fig('r', 3, '<= 3'))).toBe('met');
    expect(targetStatus(fig('r', 3))).toBe('none');
  });
});

describe('output formats', () => {
  it('prints the JSON line with the keys in a fixed order', () => {
    const f: Figure = { target: '< 3', unit: 'x', value: 1.5, figure: 'ratio', bench: 'kernel' };
    expect(formatFigureLine(f)).toBe('{"bench":"kernel","figure":"ratio","value":1.5,"unit":"x","target":"< 3"}');
  });
  it('formats an aligned table that marks a missed target', () => {
    const table = formatTable([fig('invalidation_ns_1k', 1234.5), fig('ratio_1m_over_1k', 4.2, '< 3'), fig('ok_one', 1, '< 3')]);
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^bench\s+figure\s+value\s+unit\s+target\s+status$/);
    expect(lines[3]).toMatch(/ratio_1m_over_1k\s+4\.2\s+ns\s+< 3\s+MISSED$/);
    expect(lines[4]).toMatch(/ok_one\s+1\s+ns\s+< 3\s+ok$/);
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);
    // Values right-aligned: the value column ends at the same offset on every row.
    const ends = [lines[2], lines[3]].map((l) => (l ?? '').indexOf(' ns'));
    expect(ends[0]).toBe(ends[1]);
  });
  it('lists missing figures', () => {
    expect(missingFigures([fig('a', 1)], ['a', 'b'])).toEqual(['b']);
  });
});

describe('kernel benchmark naming', () => {
  it('names figures after the registration counts', () => {
    expect(countSuffix(1000)).toBe('1k');
    expect(countSuffix(1_000_000)).toBe('1m');
    expect(countSuffix(2500)).toBe('2500');
    expect(expectedFigures(1000, 1_000_000)).toContain('ratio_1m_over_1k');
    expect(expectedFigures(1000, 1_000_000)).toContain('invalidation_ns_1m');
  });
  it('checks the guest ran the kernel asked for', () => {
    expect(releaseMatches('6.1.0-56-amd64', '6.1')).toBe(true);
    expect(releaseMatches('6.12.117+deb12-amd64', '6.1')).toBe(false);
    expect(releaseMatches('6.12.117+deb12-amd64', '6.12')).toBe(true);
  });
  it('validates its options', () => {
    expect(params({ kernel: '6.1' })).toMatchObject({ kernel: '6.1', small: 1000, large: 1_000_000 });
    expect(() => params({ kernel: '6.12', iters: '0' })).toThrow(/--iters/);
    expect(() => params({ kernel: '6.12', small: '10', large: '10' })).toThrow(/--small/);
  });
});

describe('planRun', () => {
  const noop = async (): Promise<Figure[]> => [];
  const a: Benchmark = { name: 'a', summary: '', options: { kernel: { type: 'string', default: '6.12', help: '' } }, run: noop };
  const b: Benchmark = { name: 'b', summary: '', options: { quick: { type: 'boolean', help: '' } }, run: noop };

  it('runs everything when no name is given', () => {
    expect(planRun([], [a, b]).runs.map((r) => r.bench.name)).toEqual(['a', 'b']);
  });
  it('passes options after the name to that benchmark, with defaults', () => {
    const plan = planRun(['a', '--kernel', '6.1'], [a, b]);
    expect(plan.runs).toHaveLength(1);
    expect(plan.runs[0]?.options).toEqual({ kernel: '6.1' });
    expect(planRun(['a'], [a, b]).runs[0]?.options).toEqual({ kernel: '6.12' });
  });
  it('rejects unknown names and options', () => {
    expect(() => planRun(['nope'], [a, b])).toThrow(/unknown benchmark 'nope'/);
    expect(() => planRun(['b', '--kernel', '6.1'], [a, b])).toThrow(/kernel/);
  });
  it('recognises --help', () => {
    expect(planRun(['--help'], [a, b]).help).toBe(true);
  });
});
