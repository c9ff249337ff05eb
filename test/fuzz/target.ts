// The fuzzer's handle on its target process (test/fuzz/target/fuzz_target.c):
// one command line out, one answer line back.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO } from './paths.ts';

export const TARGET_BINARY = join(REPO, 'build', 'clients', 'c', 'fuzz', 'umn-fuzz-target');

export type Answer = { readonly kind: 'ok'; readonly values: readonly string[] } | { readonly kind: 'err'; readonly errno: string; readonly what: string } | { readonly kind: 'skip'; readonly why: string };

export interface TargetHello {
  readonly pid: number;
  readonly page: bigint;
  readonly filesOnTmpfs: boolean;
}

export class FuzzTarget {
  private waiting: ((line: string) => void) | undefined;
  private exitedWith: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly hello: TargetHello,
  ) {}

  static async start(fileDir: string): Promise<FuzzTarget> {
    if (!existsSync(TARGET_BINARY)) throw new Error(`${TARGET_BINARY} is missing: npm run build:c builds it`);
    const child = spawn(TARGET_BINARY, [fileDir], { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`fuzz target exited (${code ?? signal}) before it was ready`)));
    });
    const m = /^ready pid=(\d+) page=(\d+) fs=(\w+)$/.exec(first);
    if (!m) throw new Error(`fuzz target: unexpected first line: ${first}`);
    const target = new FuzzTarget(child, { pid: Number(m[1]), page: BigInt(m[2] as string), filesOnTmpfs: m[3] === 'tmpfs' });
    rl.on('line', (line) => target.deliver(line));
    child.once('exit', (code, signal) => target.died(`exited (${code ?? signal})`));
    return target;
  }

  /** One answer per command, and the target answers nothing unasked. */
  private deliver(line: string): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(line);
  }

  private died(how: string): void {
    this.exitedWith = how;
    this.deliver(`err EPIPE the fuzz target ${how}`);
  }

  /** Sends one command and waits for its answer. */
  async do(command: string): Promise<Answer> {
    if (this.exitedWith !== undefined) return { kind: 'err', errno: 'EPIPE', what: `the fuzz target ${this.exitedWith}` };
    const line = await new Promise<string>((resolve) => {
      this.waiting = resolve;
      this.child.stdin?.write(`${command}\n`);
    });
    const [kind, ...rest] = line.split(' ');
    if (kind === 'ok') return { kind: 'ok', values: rest };
    if (kind === 'skip') return { kind: 'skip', why: rest.join(' ') };
    return { kind: 'err', errno: rest[0] ?? 'E?', what: rest.slice(1).join(' ') };
  }

  /** Like do(), but anything other than ok is an error naming the command. */
  async must(command: string): Promise<readonly string[]> {
    const answer = await this.do(command);
    if (answer.kind !== 'ok') throw new Error(`fuzz target: ${command}: ${answer.kind === 'err' ? `${answer.errno} ${answer.what}` : `skipped: ${answer.why}`}`);
    return answer.values;
  }

  get pid(): number {
    return this.hello.pid;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}
