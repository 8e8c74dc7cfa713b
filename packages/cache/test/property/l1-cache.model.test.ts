import fc from 'fast-check';
import { describe, it } from 'vitest';
import { propertyParameters, runsChosen } from './config.js';
import { PRESETS } from './presets.js';
import { runScenario } from './runner.js';
import { scenarioArbitrary } from './scenario.js';

const parameters = propertyParameters();
const runs = parameters.numRuns ?? 0;
// Generous: a run takes about a millisecond, shrinking a failure far longer.
const timeoutMs = 60_000 + runs * 50;

describe('L1Cache', () => {
  describe('against a reference model, over generated interleavings', () => {
    for (const preset of PRESETS) {
      it(
        `keeps the concurrency contract with ${preset.name}`,
        async () => {
          let completed = 0;
          const started = performance.now();
          await fc.assert(
            fc.asyncProperty(scenarioArbitrary(preset.shape), async (scenario) => {
              await runScenario(preset, scenario);
              completed++;
            }),
            parameters,
          );
          if (runsChosen()) {
            const seconds = ((performance.now() - started) / 1000).toFixed(1);
            console.log(`[property] ${preset.name}: ${completed} runs passed in ${seconds} s`);
          }
        },
        timeoutMs,
      );
    }
  });
});
