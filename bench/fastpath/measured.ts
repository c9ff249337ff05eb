// Pure helpers of bench/fastpath (no I/O, unit-tested in measured.test.ts):
// checking a driver's result line, picking the result lines out of a guest's
// console output, and turning batch means into figures.

import type { Figure } from '../figures.ts';
import { median, round } from '../register/stats.ts';

export const BENCH = 'fastpath';
export const LANGUAGES = ['node', 'python', 'c'] as const;
export type Language = (typeof LANGUAGES)[number];
export type Engine = 'uffd' | 'device';

/** Batch means one language measured (what every driver prints). */
export interface Measured {
  readonly lang: Language;
  readonly engine: Engine;
  readonly counter_ns: readonly number[];
  readonly getinfo_us: readonly number[];
}

/**
 * Checks a driver's result line: the right language, the engine that was
 * asked for (a client that silently fell back to the other engine would put
 * the wrong label on the numbers), one finite positive mean per batch.
 */
export function parseMeasured(line: string, lang: Language, batches: number, engine: Engine): Measured {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new Error(`${lang} driver: result is not JSON: ${line}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${lang} driver: result is not an object: ${line}`);
  const v = parsed as Record<string, unknown>;
  if (v['lang'] !== lang) throw new Error(`${lang} driver: result is for ${String(v['lang'])}`);
  if (v['engine'] !== engine) throw new Error(`${lang} driver: ran on engine ${String(v['engine'])}, expected ${engine}`);
  const series = (k: string): number[] => {
    const s = v[k];
    if (!Array.isArray(s) || s.length !== batches || !s.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
      throw new Error(`${lang} driver: ${k} is not ${batches} positive numbers: ${JSON.stringify(s)}`);
    }
    return s as number[];
  };
  return { lang, engine, counter_ns: series('counter_ns'), getinfo_us: series('getinfo_us') };
}

/**
 * The result line of each language in mixed output (a guest's console: CR LF
 * endings, a result possibly after a partial line): whatever starts at
 * `{"lang"` up to the end of its line. A language seen twice is an error.
 */
export function resultLines(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r/g, '');
    const at = line.indexOf('{"lang"');
    if (at < 0) continue;
    const text = line.slice(at).trim();
    const m = /^\{"lang":\s*"([^"]*)"/.exec(text);
    const lang = m?.[1] ?? '';
    if (found.has(lang)) throw new Error(`two results for language ${JSON.stringify(lang)}`);
    found.set(lang, text);
  }
  return found;
}

/**
 * The three figures of one language: medians of the batch means, and their
 * ratio. `prefix` tells runs apart ("" on the host, "device_" in the guest).
 */
export function figuresFor(m: Measured, prefix = ''): Figure[] {
  const ns = median(m.counter_ns);
  const us = median(m.getinfo_us);
  const name = `${prefix}${m.lang}`;
  return [
    { bench: BENCH, figure: `${name}_counter_check_ns`, value: round(ns), unit: 'ns', target: null },
    { bench: BENCH, figure: `${name}_getinfo_us`, value: round(us), unit: 'us', target: null },
    // How many counter checks one round trip costs; the page must be far cheaper.
    { bench: BENCH, figure: `${name}_ratio_getinfo_over_check`, value: round((us * 1000) / ns), unit: 'x', target: '> 100' },
  ];
}
