// The scenario format (test/conformance/README.md) as types, and a strict
// reader: an unknown field or op fails the scenario, so a scenario can never
// pass by asking for something this runner does not implement.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export type Expr = string | number;
export type EngineName = 'uffd' | 'device';

export interface ErrorExpectation {
  readonly code: string;
  readonly errno?: string;
}

export interface InvalidationMatcher {
  readonly cookie: number;
  readonly hint?: boolean;
  readonly start?: Expr;
  readonly end?: Expr;
  readonly sources?: readonly string[];
}

export type Matcher = { readonly invalidation: InvalidationMatcher } | { readonly last: Record<string, never> } | { readonly target_exited: Record<string, never> };

export interface RangeSpec {
  readonly cookie: number;
  readonly at: Expr;
  readonly length: Expr;
}

/** A step: `op` plus its fields, checked against STEP_FIELDS before use. */
export interface Step {
  readonly op: string;
  readonly [field: string]: unknown;
}

export interface Scenario {
  readonly file: string;
  readonly id: string;
  readonly description: string;
  readonly rule: string;
  readonly engines: readonly EngineName[];
  readonly daemonArgs: readonly string[];
  readonly attach: boolean;
  readonly steps: readonly Step[];
}

interface Fields {
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

const CALL: Fields['optional'] = ['error'];

/** Every op and its fields, from the README's tables. */
export const STEP_FIELDS: Readonly<Record<string, Fields>> = {
  mmap: { required: ['name', 'pages'], optional: ['type', 'at', 'prot'] },
  munmap: { required: ['at', 'length'], optional: [] },
  madvise: { required: ['at', 'length', 'advice'], optional: [] },
  mremap: { required: ['at', 'length'], optional: ['new_length', 'to'] },
  'brk-grow': { required: ['name', 'pages'], optional: [] },
  'brk-shrink': { required: ['pages'], optional: [] },
  write: { required: ['at', 'length'], optional: [] },
  'fork-write': { required: ['at', 'length'], optional: [] },
  attach: { required: [], optional: CALL },
  register: { required: [], optional: ['cookie', 'at', 'length', 'batch', ...CALL] },
  unregister: { required: [], optional: ['cookie', 'cookies', ...CALL] },
  'read-events': { required: ['expect'], optional: ['max_reports', ...CALL] },
  'check-counter': { required: ['changed'], optional: [] },
  info: { required: ['expect'], optional: CALL },
  subscribe: { required: ['name'], optional: [] },
  'stream-expect': { required: ['name', 'expect'], optional: [] },
  unsubscribe: { required: ['name'], optional: [] },
};

const SCENARIO_FIELDS = new Set(['description', 'rule', 'engines', 'daemon_args', 'attach', 'steps']);

function checkFields(what: string, value: Record<string, unknown>, allowed: readonly string[], required: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new Error(`${what}: unknown field ${JSON.stringify(key)}`);
  for (const key of required) if (!(key in value)) throw new Error(`${what}: missing field ${JSON.stringify(key)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks one step's shape; values are checked when the step runs. */
export function checkStep(step: unknown, index: number): Step {
  if (!isObject(step) || typeof step.op !== 'string') throw new Error(`step ${index}: expected an object with an "op"`);
  const fields = STEP_FIELDS[step.op];
  if (!fields) throw new Error(`step ${index}: unknown op ${JSON.stringify(step.op)}`);
  checkFields(`step ${index} (${step.op})`, step, ['op', ...fields.required, ...fields.optional], fields.required);
  return step as Step;
}

/** Parses a scenario file's text; throws with the reason it is malformed. */
export function parseScenario(file: string, text: string): Scenario {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw)) throw new Error('a scenario is a JSON object');
  checkFields('scenario', raw, [...SCENARIO_FIELDS], ['description', 'rule', 'steps']);
  if (typeof raw.description !== 'string' || typeof raw.rule !== 'string') throw new Error('description and rule are strings');
  const engines = raw.engines ?? ['uffd', 'device'];
  if (!Array.isArray(engines) || engines.length === 0 || !engines.every((e) => e === 'uffd' || e === 'device')) throw new Error('engines: a non-empty list of "uffd" and "device"');
  const daemonArgs = raw.daemon_args ?? [];
  if (!Array.isArray(daemonArgs) || !daemonArgs.every((a) => typeof a === 'string')) throw new Error('daemon_args: a list of strings');
  const attach = raw.attach ?? true;
  if (typeof attach !== 'boolean') throw new Error('attach: true or false');
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) throw new Error('steps: a non-empty list');
  return {
    file,
    id: basename(file, '.json'),
    description: raw.description,
    rule: raw.rule,
    engines: engines as EngineName[],
    daemonArgs: daemonArgs as string[],
    attach,
    steps: raw.steps.map(checkStep),
  };
}

export const SCENARIO_DIR = join(import.meta.dirname, '..', '..', 'scenarios');

/** Every scenario file, in file-name order; a new file needs no code change. */
export function scenarioFiles(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name));
}

export function loadScenario(file: string): Scenario {
  try {
    return parseScenario(file, readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${basename(file)}: ${(e as Error).message}`);
  }
}
