// Where a scenario's daemon comes from (test/conformance/README.md,
// "Sidecars"): its own for scenarios with daemon arguments or a manual
// attach, otherwise one shared sidecar brought back to a clean state first.

import { OpenClient } from '../../../../clients/node/src/open.ts';
import type { EngineName, Scenario } from './scenario.ts';

const QUIET = ['--log-level', 'warn'];
const WAIT_MS = 5000;

export function needsOwnSidecar(scenario: Scenario): boolean {
  return scenario.daemonArgs.length > 0 || !scenario.attach;
}

export function openOwn(scenario: Scenario, engine: EngineName): Promise<OpenClient> {
  // Refusals are the point of many scenarios; the daemon need not log each one.
  return OpenClient.open({ engine, daemonArgs: [...QUIET, ...scenario.daemonArgs], attach: scenario.attach });
}

async function clean(umn: OpenClient, leftover: readonly bigint[]): Promise<void> {
  if (leftover.length) await umn.client.unregister(leftover);
  while ((await umn.client.readEvents()).length > 0);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const info = await umn.client.info();
    if (info.registrations === '0' && info.pendingReports === '0' && info.subscribers === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`still ${info.registrations} registrations, ${info.pendingReports} pending reports, ${info.subscribers} subscribers`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export class SharedSidecar {
  private umn: OpenClient | undefined;

  constructor(private readonly engine: EngineName) {}

  /** The shared sidecar, clean: `leftover` are the cookies the last scenario left registered. */
  async clean(leftover: readonly bigint[]): Promise<OpenClient> {
    if (this.umn) {
      try {
        await clean(this.umn, leftover);
        return this.umn;
      } catch (e) {
        process.stderr.write(`conformance: the shared sidecar did not come clean (${(e as Error).message}); starting a new one\n`);
        await this.close();
      }
    }
    this.umn = await OpenClient.open({ engine: this.engine, daemonArgs: QUIET });
    return this.umn;
  }

  async close(): Promise<void> {
    const umn = this.umn;
    this.umn = undefined;
    await umn?.close();
  }
}
