// Reading the selftest's TAP output and deciding whether a run passed. Pure.

export interface TapCase {
  readonly ok: boolean;
  /** The line as printed, for error messages. */
  readonly line: string;
  readonly directive: 'skip' | 'todo' | undefined;
}

export interface TapReport {
  /** Planned number of cases; undefined when no plan line was printed. */
  readonly plan: number | undefined;
  /** The plan carried a directive (`1..0 # SKIP no device`). */
  readonly planDirective: string | undefined;
  readonly planLines: number;
  readonly cases: readonly TapCase[];
  readonly bailOut: string | undefined;
}

/**
 * Only top-level lines count: indented lines are subtests or diagnostics,
 * and `#` lines are comments. A directive is `# SKIP` or `# TODO` after the
 * description, case-insensitive, as in TAP 13/14.
 */
export function parseTap(text: string): TapReport {
  let plan: number | undefined;
  let planDirective: string | undefined;
  let planLines = 0;
  let bailOut: string | undefined;
  const cases: TapCase[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const planMatch = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/.exec(line);
    if (planMatch !== null) {
      planLines++;
      plan = Number(planMatch[1]);
      planDirective = planMatch[2];
      continue;
    }
    const bail = /^Bail out!\s*(.*)$/.exec(line);
    if (bail !== null) {
      bailOut = bail[1] ?? '';
      continue;
    }
    const test = /^(not )?ok\b(.*)$/.exec(line);
    if (test === null) continue;
    const directive = /(?:^|\s)#\s*(skip|todo)\b/i.exec(test[2] ?? '')?.[1]?.toLowerCase();
    cases.push({ ok: test[1] === undefined, line, directive: directive === 'skip' || directive === 'todo' ? directive : undefined });
  }
  return { plan, planDirective, planLines, cases, bailOut };
}

export interface TapVerdict {
  readonly passed: number;
  /**
   * Failing cases: not ok, skipped or todo, planned but never reported. At
   * least 1 whenever the run failed, so `0 failed` always means a clean run.
   */
  readonly failed: number;
  /** Why the run failed, one sentence each; empty when it passed. */
  readonly problems: readonly string[];
}

/** A run passes only with a plan that matches the cases, every case ok without directive, and exit status 0. */
export function judgeTap(report: TapReport, exitCode: number): TapVerdict {
  const problems: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const c of report.cases) {
    if (c.directive !== undefined) {
      failed++;
      problems.push(`${c.directive === 'skip' ? 'skipped' : 'todo'} (not allowed): ${c.line}`);
    } else if (c.ok) {
      passed++;
    } else {
      failed++;
      problems.push(`failed: ${c.line}`);
    }
  }
  if (report.plan === undefined) {
    problems.push('no TAP plan line (1..N)');
  } else {
    if (report.planLines > 1) problems.push(`${report.planLines} plan lines; TAP allows one`);
    if (report.planDirective !== undefined) problems.push(`plan has a directive: # ${report.planDirective}`);
    if (report.plan === 0) problems.push('plan 1..0: nothing was tested');
    if (report.cases.length < report.plan) {
      failed += report.plan - report.cases.length;
      problems.push(`planned ${report.plan} cases, only ${report.cases.length} reported`);
    } else if (report.cases.length > report.plan) {
      problems.push(`planned ${report.plan} cases, ${report.cases.length} reported`);
    }
  }
  if (report.bailOut !== undefined) problems.push(`Bail out! ${report.bailOut}`);
  if (exitCode !== 0) problems.push(`exit status ${exitCode}`);
  if (problems.length > 0 && failed === 0) failed = 1;
  return { passed, failed, problems };
}
