import { describe, expect, it } from 'vitest';
import { DEFAULT_KERNELS, parseTestKernelArgs, totalsLine } from './suite.ts';
import { judgeTap, parseTap } from './tap.ts';

const GOOD = `TAP version 13
1..3
# starting
ok 1 open rdonly
ok 2 - register and read
    ok 1 nested subtest is not counted
ok 3 counter page # took 12 ms
# done
`;

describe('parseTap / judgeTap', () => {
  it('passes a clean run', () => {
    const report = parseTap(GOOD);
    expect(report.plan).toBe(3);
    expect(report.cases).toHaveLength(3);
    expect(judgeTap(report, 0)).toEqual({ passed: 3, failed: 0, problems: [] });
  });

  it('accepts the plan at the end and CRLF line ends', () => {
    const text = 'ok 1 a\r\nok 2 b\r\n1..2\r\n';
    expect(judgeTap(parseTap(text), 0)).toEqual({ passed: 2, failed: 0, problems: [] });
  });

  it('counts not ok as failed', () => {
    const v = judgeTap(parseTap('1..2\nok 1 a\nnot ok 2 b\n'), 1);
    expect(v.passed).toBe(1);
    expect(v.failed).toBe(1);
    expect(v.problems).toEqual(['failed: not ok 2 b', 'exit status 1']);
  });

  it('treats SKIP and TODO as failures, in any case', () => {
    const v = judgeTap(parseTap('1..4\nok 1 a # SKIP no device\nok 2 b #skip\nnot ok 3 c # TODO later\nok 4 d # todo\n'), 0);
    expect(v.passed).toBe(0);
    expect(v.failed).toBe(4);
    expect(v.problems).toHaveLength(4);
  });

  it('does not mistake a # in the description for a directive', () => {
    expect(judgeTap(parseTap('1..1\nok 1 issue #skipper fixed\n'), 0).failed).toBe(0);
  });

  it('fails without a plan, even with every case ok', () => {
    const v = judgeTap(parseTap('ok 1 a\n'), 0);
    expect(v).toEqual({ passed: 1, failed: 1, problems: ['no TAP plan line (1..N)'] });
  });

  it('counts planned cases that never reported as failed (a crash half-way)', () => {
    const v = judgeTap(parseTap('1..5\nok 1 a\nok 2 b\n'), 125);
    expect(v.passed).toBe(2);
    expect(v.failed).toBe(3);
    expect(v.problems).toContain('planned 5 cases, only 2 reported');
  });

  it('fails more cases than planned, a skipped plan, two plans and bail-outs', () => {
    expect(judgeTap(parseTap('1..1\nok 1 a\nok 2 b\n'), 0).problems).toEqual(['planned 1 cases, 2 reported']);
    expect(judgeTap(parseTap('1..0 # SKIP no module\n'), 0).problems).toEqual(['plan has a directive: # SKIP no module', 'plan 1..0: nothing was tested']);
    expect(judgeTap(parseTap('1..1\nok 1 a\n1..1\n'), 0).problems).toEqual(['2 plan lines; TAP allows one']);
    expect(judgeTap(parseTap('1..2\nok 1 a\nBail out! device gone\n'), 1).problems).toEqual([
      'planned 2 cases, only 1 reported',
      'Bail out! device gone',
      'exit status 1',
    ]);
  });

  it('fails a non-zero exit status even when the TAP is clean', () => {
    const v = judgeTap(parseTap(GOOD), 3);
    expect(v).toEqual({ passed: 3, failed: 1, problems: ['exit status 3'] });
  });

  it('fails empty output', () => {
    expect(judgeTap(parseTap(''), 125).failed).toBe(1);
  });
});

describe('test:kernel helpers', () => {
  it('sums the cases of all kernels into the line CI reads', () => {
    expect(totalsLine([{ passed: 40, failed: 0, problems: [] }, { passed: 38, failed: 2, problems: ['x'] }])).toBe('78 passed, 2 failed');
    expect(totalsLine([])).toBe('0 passed, 0 failed');
  });

  it('parses kernels and selftest filters', () => {
    expect(parseTestKernelArgs([])).toEqual({ kernels: DEFAULT_KERNELS, filters: [] });
    expect(parseTestKernelArgs(['--kernel', '6.12', '--kernel=6.1', '--', 'counter', 'fork'])).toEqual({ kernels: ['6.12', '6.1'], filters: ['counter', 'fork'] });
    expect(parseTestKernelArgs(['--bogus'])).toMatch(/unexpected argument/);
  });
});
