// `npm run bench -- fastpath`: the counter check through the mapped page vs.
// a GetInfo round trip (DESIGN.md section 8, "Fast path"), per client
// language, on the host (uffd engine) and in ONE QEMU guest boot (device
// engine). Each language's driver (fastpath-node.ts, fastpath.py,
// fastpath.c) opens a client with its own `open` (so the process is its own
// target and spawns its own sidecar, $UMMUNOTIFYD), then alternates timed
// batches of counter checks and of GetInfo calls, and prints its batch means
// as one JSON line. The host and the guest run the same drivers with the
// same argv, but for the engine and the counts.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Benchmark, OptionValues } from '../benchmark.ts';
import type { Figure } from '../figures.ts';
import { positiveInt } from '../kernel/index.ts';
import { BUNDLED_DAEMON, CLIENT_INCLUDE, DAEMON, REPO, TSX_LOADER, bundleDaemon, clientLibs, gcc, guestRelease, guestStdout, kernelOption, releaseCommand } from '../native.ts';
import { BENCH, LANGUAGES, figuresFor, parseMeasured, resultLines, type Engine, type Language, type Measured } from './measured.ts';

export { BENCH, LANGUAGES, figuresFor, parseMeasured, type Language, type Measured } from './measured.ts';

const C_SOURCE = join(REPO, 'bench', 'fastpath', 'fastpath.c');
const C_BINARY = join(REPO, 'build', 'bench', 'fastpath', 'fastpath');
const NODE_DRIVER = join(REPO, 'bench', 'fastpath', 'fastpath-node.ts');
const PY_DRIVER = join(REPO, 'bench', 'fastpath', 'fastpath.py');
const PYTHON = join(REPO, '.venv', 'bin', 'python');

/** How many of each a run does. */
export interface Counts {
  readonly checks: number;
  readonly calls: number;
  readonly batches: number;
}

interface Params {
  readonly host: Counts;
  readonly guest: Counts;
  readonly langs: readonly Language[];
  readonly kernel: string;
  readonly noGuest: boolean;
}

function params(o: OptionValues): Params {
  const langOpt = o['lang'];
  const langs = typeof langOpt === 'string' ? langOpt.split(',').map((s) => s.trim()) : [...LANGUAGES];
  for (const l of langs) if (!(LANGUAGES as readonly string[]).includes(l)) throw new Error(`--lang: ${l} is not one of ${LANGUAGES.join(', ')}`);
  const kernel = kernelOption(o['kernel']);
  const batches = positiveInt('batches', o['batches'], 5);
  return {
    host: { checks: positiveInt('checks', o['checks'], 1_000_000), calls: positiveInt('calls', o['calls'], 500), batches },
    // Under TCG everything is tens of times slower; fewer iterations keep the boot short.
    guest: { checks: positiveInt('guest-checks', o['guest-checks'], 100_000), calls: positiveInt('guest-calls', o['guest-calls'], 50), batches },
    langs: langs as Language[],
    kernel,
    noGuest: o['no-guest'] === true,
  };
}

/** argv of one language's driver; the host and the guest run exactly this. */
export function driverCommand(lang: Language, engine: Engine, c: Counts, nodeBinary: string): string[] {
  const named = ['--engine', engine, '--checks', String(c.checks), '--calls', String(c.calls), '--batches', String(c.batches)];
  switch (lang) {
    case 'node':
      return [nodeBinary, '--import', TSX_LOADER, NODE_DRIVER, ...named];
    case 'python':
      return [PYTHON, PY_DRIVER, ...named];
    case 'c':
      return [C_BINARY, String(c.checks), String(c.calls), String(c.batches), engine];
  }
}

function buildC(): void {
  gcc(C_BINARY, [C_SOURCE], [`-I${CLIENT_INCLUDE}`], clientLibs());
}

/** Runs a host driver, its stderr copied to ours prefixed (no stderr line starts with `{`); returns its stdout. */
function runDriver(lang: Language, argv: readonly string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const [cmd, ...args] = argv;
    const env = { ...process.env, UMMUNOTIFYD: process.env['UMMUNOTIFYD'] ?? DAEMON };
    const child = spawn(cmd as string, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      for (const line of c.split('\n')) if (line) process.stderr.write(`  ${lang}| ${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${lang} driver exited with status ${String(code)}`));
      else resolvePromise(stdout);
    });
  });
}

/** The measured result of each language in `output`, checked against what was asked. */
export function parseAll(output: string, langs: readonly Language[], batches: number, engine: Engine): Measured[] {
  const lines = resultLines(output);
  return langs.map((lang) => {
    const line = lines.get(lang);
    if (line === undefined) throw new Error(`no result from the ${lang} driver (engine ${engine})`);
    return parseMeasured(line, lang, batches, engine);
  });
}

async function hostRun(p: Params): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const lang of p.langs) {
    const c = p.host;
    process.stderr.write(`  host/${lang}: ${c.batches} x (${c.checks} counter checks, ${c.calls} GetInfo calls), engine uffd\n`);
    const out = await runDriver(lang, driverCommand(lang, 'uffd', c, process.execPath));
    figures.push(...figuresFor(parseAll(out, [lang], c.batches, 'uffd')[0] as Measured));
  }
  return figures;
}

async function guestRun(p: Params): Promise<Figure[]> {
  const c = p.guest;
  process.stderr.write(`  guest ${p.kernel}: ${p.langs.join(', ')}, ${c.batches} x (${c.checks} counter checks, ${c.calls} GetInfo calls), engine device\n`);
  const env = { UMMUNOTIFYD: BUNDLED_DAEMON, PYTHONDONTWRITEBYTECODE: '1' };
  const out = await guestStdout(p.kernel, env, [releaseCommand(BENCH), ...p.langs.map((lang) => driverCommand(lang, 'device', c, process.execPath))]);
  const release = guestRelease(out, BENCH, p.kernel);
  return [release, ...parseAll(out, p.langs, c.batches, 'device').flatMap((m) => figuresFor(m, 'device_'))];
}

export const fastpath: Benchmark = {
  name: BENCH,
  summary: 'counter check through the mapped page vs. a GetInfo round trip, per client language (node, python, c): host/uffd, then device in one QEMU guest boot',
  options: {
    lang: { type: 'string', help: 'comma-separated languages (default node,python,c)' },
    checks: { type: 'string', help: 'counter checks per timed batch on the host (default 1000000)' },
    calls: { type: 'string', help: 'GetInfo calls per timed batch on the host (default 500)' },
    batches: { type: 'string', help: 'timed batches of each, alternating (default 5)' },
    'guest-checks': { type: 'string', help: 'counter checks per timed batch in the guest (default 100000)' },
    'guest-calls': { type: 'string', help: 'GetInfo calls per timed batch in the guest (default 50)' },
    kernel: { type: 'string', default: '6.12', help: 'guest kernel for the device figures (6.12 or 6.1)' },
    'no-guest': { type: 'boolean', default: false, help: 'skip the device run in the QEMU guest' },
  },
  async run(o: OptionValues): Promise<Figure[]> {
    const p = params(o);
    if (p.langs.includes('c')) buildC();
    const figures = await hostRun(p);
    if (p.noGuest) return figures;
    bundleDaemon();
    return [...figures, ...(await guestRun(p))];
  },
};
