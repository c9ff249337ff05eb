// Figures: the one output format every benchmark shares, and the pure helpers
// around it (parsing them back out of noisy output, checking targets, the
// human table). No I/O here, so all of it is unit-tested.

/** One measured figure, printed as one JSON line with exactly these keys, in this order. */
export interface Figure {
  readonly bench: string;
  readonly figure: string;
  /** A measurement (number) or a fact about the run, e.g. the kernel release (string). */
  readonly value: number | string;
  readonly unit: string | null;
  /** A comparison such as "< 3", or null when the figure is informative only. */
  readonly target: string | null;
}

const KEYS = ['bench', 'figure', 'value', 'unit', 'target'] as const;

/** The JSON line for a figure; lines starting with `{` are reserved for these. */
export function formatFigureLine(f: Figure): string {
  // Build a fresh object so the key order is fixed whatever the caller passed.
  return JSON.stringify({ bench: f.bench, figure: f.figure, value: f.value, unit: f.unit, target: f.target });
}

export type TargetOp = '<' | '<=' | '>' | '>=';

export interface Target {
  readonly op: TargetOp;
  readonly bound: number;
}

const TARGET_RE = /^\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;

/** Parses "< 3"-style targets; undefined for anything else. */
export function parseTarget(text: string): Target | undefined {
  const m = TARGET_RE.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { op: m[1] as TargetOp, bound: Number(m[2]) };
}

/**
 * Checks that an unknown parsed JSON value is a figure: exactly the five keys,
 * each of the right type, a finite number or a string as value, and a target
 * that parseTarget understands. Returns the figure or a reason.
 */
export function validateFigure(v: unknown): Figure | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const extra = keys.filter((k) => !(KEYS as readonly string[]).includes(k));
  if (extra.length) return `unexpected key(s): ${extra.join(', ')}`;
  const missing = KEYS.filter((k) => !(k in o));
  if (missing.length) return `missing key(s): ${missing.join(', ')}`;
  const { bench, figure, value, unit, target } = o;
  if (typeof bench !== 'string' || bench === '') return 'bench must be a non-empty string';
  if (typeof figure !== 'string' || figure === '') return 'figure must be a non-empty string';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'value must be finite';
  } else if (typeof value !== 'string') {
    return 'value must be a number or a string';
  }
  if (unit !== null && typeof unit !== 'string') return 'unit must be a string or null';
  if (target !== null) {
    if (typeof target !== 'string') return 'target must be a string or null';
    if (!parseTarget(target)) return `target ${JSON.stringify(target)} is not like "< 3"`;
    if (typeof value !== 'number') return 'a figure with a target needs a numeric value';
  }
  return { bench, figure, value, unit, target };
}

export interface Extracted {
  readonly figures: Figure[];
  /** Lines that looked like figures but were not valid ones, with why; a corrupted line must not pass silently. */
  readonly problems: string[];
}

/**
 * Pulls the figure lines of one benchmark out of mixed output. The guest's
 * stdout shares the serial console with kernel messages, so a figure may
 * follow a partial kernel line on the same line, and lines end in CR LF:
 * a figure is whatever starts at `{"bench"` and runs to the end of its line.
 */
export function extractFigures(output: string, bench: string): Extracted {
  const figures: Figure[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r/g, '');
    const at = line.indexOf('{"bench"');
    if (at < 0) continue;
    const text = line.slice(at).trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      problems.push(`not JSON: ${text}`);
      continue;
    }
    const f = validateFigure(parsed);
    if (typeof f === 'string') {
      problems.push(`${f}: ${text}`);
      continue;
    }
    if (f.bench !== bench) continue;
    if (seen.has(f.figure)) {
      problems.push(`duplicate figure ${f.figure}: ${text}`);
      continue;
    }
    seen.add(f.figure);
    figures.push(f);
  }
  return { figures, problems };
}

/** Names in `required` that no figure carries. */
export function missingFigures(figures: readonly Figure[], required: readonly string[]): string[] {
  const have = new Set(figures.map((f) => f.figure));
  return required.filter((name) => !have.has(name));
}

export type TargetStatus = 'met' | 'missed' | 'none';

/** Whether a figure meets its target; 'none' when it has no target (or no number to compare). */
export function targetStatus(f: Figure): TargetStatus {
  if (f.target === null || typeof f.value !== 'number') return 'none';
  const t = parseTarget(f.target);
  if (!t) return 'none';
  const v = f.value;
  const ok = t.op === '<' ? v < t.bound : t.op === '<=' ? v <= t.bound : t.op === '>' ? v > t.bound : v >= t.bound;
  return ok ? 'met' : 'missed';
}

const STATUS_TEXT: Record<TargetStatus, string> = { met: 'ok', missed: 'MISSED', none: '' };

/**
 * The human summary: one row per figure, columns padded, numbers right-aligned,
 * a missed target marked MISSED. Never starts a line with `{`.
 */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['bench', 'figure', 'value', 'unit', 'target', 'status'];
  const rows = figures.map((f) => [
    f.bench,
    f.figure,
    String(f.value),
    f.unit ?? '',
    f.target ?? '',
    STATUS_TEXT[targetStatus(f)],
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const numeric = (c: number): boolean => c === 2;
  const fmt = (r: readonly string[]): string =>
    r
      .map((cell, c) => {
        const w = widths[c] ?? 0;
        return numeric(c) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(header), rule, ...rows.map(fmt)].join('\n') + '\n';
}
