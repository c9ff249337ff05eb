// `npm run bench -- fastpath`: the counter check through the mapped page vs.
// a GetInfo round trip (DESIGN.md section 8, "Fast path"), per client
// language, on the host (uffd engine). Each language opens a client with its
// own `open` (so the process is its own target and spawns its own sidecar,
// $UMMUNOTIFYD, default <repo>/bin/ummunotifyd), then, in that one process,
// alternates timed batches of counter checks and of GetInfo calls. Node runs
// in this process; Python (fastpath.py) and C (fastpath.c) run as drivers
// that print their batch means as one JSON line.

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpenClient } from '../../clients/node/src/open.ts';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { median, round } from '../register/stats.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const C_SOURCE = join(REPO, 'bench', 'fastpath', 'fastpath.c');
const C_BINARY = join(REPO, 'build', 'bench', 'fastpath', 'fastpath');
const C_CLIENT = join(REPO, 'build', 'clients', 'c');
const PY_DRIVER = join(REPO, 'bench', 'fastpath', 'fastpath.py');
const PYTHON = join(REPO, '.venv', 'bin', 'python');
const DAEMON_ARGS = ['--log-level', 'warn'];

export const BENCH = 'fastpath';
export const LANGUAGES = ['node', 'python', 'c'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Batch means one language measured (what every driver prints). */
export interface Measured {
  readonly lang: Language;
  readonly engine: string;
  readonly counter_ns: readonly number[];
  readonly getinfo_us: readonly number[];
}

/** Checks a driver's result line: the right language, the uffd engine, one finite positive mean per batch. */
export function parseMeasured(line: string, lang: Language, batches: number): Measured {
  const v = JSON.parse(line) as Record<string, unknown>;
  if (v['lang'] !== lang) throw new Error(`${lang} driver: result is for ${String(v['lang'])}`);
  if (v['engine'] !== 'uffd') throw new Error(`${lang} driver: ran on engine ${String(v['engine'])}, expected uffd`);
  const series = (k: string): number[] => {
    const s = v[k];
    if (!Array.isArray(s) || s.length !== batches || !s.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
      throw new Error(`${lang} driver: ${k} is not ${batches} positive numbers: ${JSON.stringify(s)}`);
    }
    return s as number[];
  };
  return { lang, engine: 'uffd', counter_ns: series('counter_ns'), getinfo_us: series('getinfo_us') };
}

/** The three figures of one language: medians of the batch means, and their ratio. */
export function figuresFor(m: Measured): Figure[] {
  const ns = median(m.counter_ns);
  const us = median(m.getinfo_us);
  return [
    { bench: BENCH, figure: `${m.lang}_counter_check_ns`, value: round(ns), unit: 'ns', target: null },
    { bench: BENCH, figure: `${m.lang}_getinfo_us`, value: round(us), unit: 'us', target: null },
    // How many counter checks one round trip costs; the page must be far cheaper.
    { bench: BENCH, figure: `${m.lang}_ratio_getinfo_over_check`, value: round((us * 1000) / ns), unit: 'x', target: '> 100' },
  ];
}

interface Params {
  readonly checks: number;
  readonly calls: number;
  readonly batches: number;
  readonly langs: readonly Language[];
}

function params(o: OptionValues): Params {
  const langOpt = o['lang'];
  const langs = typeof langOpt === 'string' ? langOpt.split(',').map((s) => s.trim()) : [...LANGUAGES];
  for (const l of langs) if (!(LANGUAGES as readonly string[]).includes(l)) throw new Error(`--lang: ${l} is not one of ${LANGUAGES.join(', ')}`);
  return {
    checks: positiveInt('checks', o['checks'], 1_000_000),
    calls: positiveInt('calls', o['calls'], 500),
    batches: positiveInt('batches', o['batches'], 5),
    langs: langs as Language[],
  };
}

async function measureNode(p: Params): Promise<Measured> {
  const opened = await OpenClient.open({ engine: 'uffd', daemonArgs: DAEMON_ARGS });
  try {
    const engine = (await opened.client.info()).engine;
    const counter = opened.counter;
    const seen = counter.value();
    let changed = 0;
    for (let i = 0; i < Math.min(p.checks, 100_000); i++) if (counter.changedSince(seen)) changed++;
    for (let i = 0; i < Math.min(p.calls, 200); i++) await opened.client.info();
    const counterNs: number[] = [];
    const getinfoUs: number[] = [];
    for (let b = 0; b < p.batches; b++) {
      let t0 = process.hrtime.bigint();
      for (let i = 0; i < p.checks; i++) if (counter.changedSince(seen)) changed++;
      let t1 = process.hrtime.bigint();
      counterNs.push(Number(t1 - t0) / p.checks);
      t0 = process.hrtime.bigint();
      for (let i = 0; i < p.calls; i++) await opened.client.info();
      t1 = process.hrtime.bigint();
      getinfoUs.push(Number(t1 - t0) / p.calls / 1000);
    }
    process.stderr.write(`  node: counter moved ${changed} time(s) during the checks\n`);
    return { lang: 'node', engine: engine.toLowerCase().replace(/^engine_/, ''), counter_ns: counterNs, getinfo_us: getinfoUs };
  } finally {
    await opened.close();
  }
}

function buildC(): void {
  mkdirSync(dirname(C_BINARY), { recursive: true });
  const env = { ...process.env, PKG_CONFIG_PATH: C_CLIENT };
  const flags = (which: string): string[] => execFileSync('pkg-config', [which, 'ummunotify-client'], { env, encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  execFileSync('gcc', ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-std=gnu11', ...flags('--cflags'), '-o', C_BINARY, C_SOURCE, ...flags('--libs'), `-Wl,-rpath,${C_CLIENT}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Runs a driver, its stderr copied to ours prefixed (no stderr line starts with `{`); returns its last stdout line. */
function runDriver(lang: Language, cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      for (const line of c.split('\n')) if (line) process.stderr.write(`  ${lang}| ${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last) reject(new Error(`${lang} driver exited with status ${String(code)}`));
      else resolvePromise(last);
    });
  });
}

async function measure(lang: Language, p: Params): Promise<Measured> {
  if (lang === 'node') return measureNode(p);
  const counts = [String(p.checks), String(p.calls), String(p.batches)];
  const line =
    lang === 'python'
      ? await runDriver(lang, PYTHON, [PY_DRIVER, '--checks', counts[0]!, '--calls', counts[1]!, '--batches', counts[2]!])
      : await runDriver(lang, C_BINARY, counts);
  return parseMeasured(line, lang, p.batches);
}

export const fastpath: Benchmark = {
  name: BENCH,
  summary: 'counter check through the mapped page vs. a GetInfo round trip, per client language (node, python, c), host/uffd',
  options: {
    lang: { type: 'string', help: 'comma-separated languages (default node,python,c)' },
    checks: { type: 'string', help: 'counter checks per timed batch (default 1000000)' },
    calls: { type: 'string', help: 'GetInfo calls per timed batch (default 500)' },
    batches: { type: 'string', help: 'timed batches of each, alternating (default 5)' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    process.env['UMMUNOTIFYD'] ??= join(REPO, 'bin', 'ummunotifyd');
    if (p.langs.includes('c')) buildC();
    const figures: Figure[] = [];
    for (const lang of p.langs) {
      process.stderr.write(`  ${lang}: ${p.batches} x (${p.checks} counter checks, ${p.calls} GetInfo calls)\n`);
      const m = await measure(lang, p);
      if (m.engine !== 'uffd') throw new Error(`${lang}: ran on engine ${m.engine}, expected uffd`);
      figures.push(...figuresFor(m));
    }
    return figures;
  },
};
