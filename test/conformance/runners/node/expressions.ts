// Address and size expressions of the scenario format
// (test/conformance/README.md, "Values"): terms joined by + or -, a term
// being a bound name, a byte count or a page count ("2p").

const TERM = /^(?:([a-z_][a-z0-9_]*)|(0x[0-9a-fA-F]+|[0-9]+)(p?))$/;
const U64_LIMIT = 1n << 64n;

export type Bindings = ReadonlyMap<string, bigint>;

/** Evaluates an expression (or a JSON integer, meaning bytes) to a u64. */
export function evaluate(value: unknown, names: Bindings, pageSize: bigint): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${value}: expected a whole number of bytes`);
    return BigInt(value);
  }
  if (typeof value !== 'string') throw new Error(`${JSON.stringify(value)}: expected an expression such as "a+1p"`);
  const parts = value.replace(/\s+/g, '').split(/(?=[+-])/);
  let total = 0n;
  for (const part of parts) {
    const sign = part.startsWith('-') ? -1n : 1n;
    const term = part.replace(/^[+-]/, '');
    const m = TERM.exec(term);
    if (!m) throw new Error(`${JSON.stringify(value)}: cannot read the term ${JSON.stringify(term)}`);
    let amount: bigint;
    if (m[1] !== undefined) {
      const bound = names.get(m[1]);
      if (bound === undefined) throw new Error(`${JSON.stringify(value)}: no mapping is named ${m[1]}`);
      amount = bound;
    } else {
      amount = BigInt(m[2] as string) * (m[3] === 'p' ? pageSize : 1n);
    }
    total += sign * amount;
  }
  if (total < 0n || total >= U64_LIMIT) throw new Error(`${JSON.stringify(value)} = ${total}: outside [0, 2^64)`);
  return total;
}
