// The conformance scenarios, run by the Node client with this test process
// as the target: one test per scenario file.

import { existsSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { chooseEngine, DEVICE_PATH } from '../../../../clients/node/src/open.ts';
import { Runner } from './execute.ts';
import { loadScenario, scenarioFiles } from './scenario.ts';
import { SharedSidecar } from './sidecars.ts';

const engine = chooseEngine(process.env.UMMUNOTIFY_ENGINE, existsSync(DEVICE_PATH));
const scenarios = scenarioFiles().map(loadScenario);
const forOthers = scenarios.filter((s) => !s.engines.includes(engine));

describe(`conformance on the ${engine} engine (node)`, () => {
  const runner = new Runner(engine, new SharedSidecar(engine));
  afterAll(() => runner.close());
  for (const scenario of scenarios.filter((s) => s.engines.includes(engine))) {
    it(scenario.id, () => runner.run(scenario));
  }
});

// Not skips: these scenarios state that they are about another engine.
console.log(`conformance (node, ${engine}): ${scenarios.length - forOthers.length} scenarios to run; ${forOthers.length} written for other engines left out${forOthers.length ? `: ${forOthers.map((s) => s.id).join(', ')}` : ''}`);
