import { describe, expect, it } from 'vitest';
import { figuresFor, parseMeasured, resultLines } from './measured.ts';

const line = (o: Record<string, unknown>): string => JSON.stringify(o);
const ok = { lang: 'node', engine: 'device', counter_ns: [2, 4, 3], getinfo_us: [10, 30, 20], changed: 0 };

describe('parseMeasured', () => {
  it('accepts the engine that was asked for', () => {
    expect(parseMeasured(line(ok), 'node', 3, 'device')).toEqual({ lang: 'node', engine: 'device', counter_ns: [2, 4, 3], getinfo_us: [10, 30, 20] });
    expect(parseMeasured(line({ ...ok, engine: 'uffd' }), 'node', 3, 'uffd').engine).toBe('uffd');
  });
  it('refuses another engine, language or batch count', () => {
    expect(() => parseMeasured(line(ok), 'node', 3, 'uffd')).toThrow(/engine device, expected uffd/);
    expect(() => parseMeasured(line(ok), 'python', 3, 'device')).toThrow(/result is for node/);
    expect(() => parseMeasured(line(ok), 'node', 2, 'device')).toThrow(/counter_ns is not 2/);
  });
  it('refuses non-positive or non-finite means and non-JSON', () => {
    expect(() => parseMeasured(line({ ...ok, getinfo_us: [1, 0, 1] }), 'node', 3, 'device')).toThrow(/getinfo_us/);
    expect(() => parseMeasured(line({ ...ok, counter_ns: [1, null, 1] }), 'node', 3, 'device')).toThrow(/counter_ns/);
    expect(() => parseMeasured('{"lang":"node"', 'node', 3, 'device')).toThrow(/not JSON/);
    expect(() => parseMeasured('[]', 'node', 3, 'device')).toThrow(/not an object/);
  });
});

describe('resultLines', () => {
  it('finds each language in console output with CR LF and partial lines', () => {
    const out = `[ 1.0] boot\r\n${line(ok)}\r\nnoise ${line({ ...ok, lang: 'c' })}\r\n{"bench":"x"}\n`;
    const found = resultLines(out);
    expect([...found.keys()]).toEqual(['node', 'c']);
    expect(JSON.parse(found.get('c') as string)).toMatchObject({ lang: 'c' });
  });
  it('refuses two results for one language', () => {
    expect(() => resultLines(`${line(ok)}\n${line(ok)}\n`)).toThrow(/two results/);
  });
});

describe('figuresFor', () => {
  it('makes medians and the ratio, with the prefix in front of the language', () => {
    const m = parseMeasured(line(ok), 'node', 3, 'device');
    expect(figuresFor(m, 'device_')).toEqual([
      { bench: 'fastpath', figure: 'device_node_counter_check_ns', value: 3, unit: 'ns', target: null },
      { bench: 'fastpath', figure: 'device_node_getinfo_us', value: 20, unit: 'us', target: null },
      { bench: 'fastpath', figure: 'device_node_ratio_getinfo_over_check', value: 6670, unit: 'x', target: '> 100' },
    ]);
    expect(figuresFor(m).map((f) => f.figure)).toEqual(['node_counter_check_ns', 'node_getinfo_us', 'node_ratio_getinfo_over_check']);
  });
});
