// Structured logs: one JSON object per line on stderr.

export type Level = 'debug' | 'info' | 'warn' | 'error';

export type Fields = Readonly<Record<string, string | number | boolean | bigint | undefined>>;

export interface Logger {
  log(level: Level, msg: string, fields?: Fields): void;
}

const RANK: Readonly<Record<Level, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

export function formatLine(level: Level, msg: string, fields: Fields, now: Date): string {
  const record: Record<string, string | number | boolean> = { time: now.toISOString(), level, msg };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) record[key] = typeof value === 'bigint' ? value.toString() : value;
  }
  return JSON.stringify(record);
}

export function stderrLogger(minimum: Level, base: Fields = {}): Logger {
  return {
    log(level, msg, fields = {}) {
      if (RANK[level] < RANK[minimum]) return;
      process.stderr.write(`${formatLine(level, msg, { ...base, ...fields }, new Date())}\n`);
    },
  };
}
