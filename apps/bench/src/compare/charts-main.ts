import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type CompareJson, renderCharts } from './charts.js';

/**
 * `pnpm bench:charts [results.json] [out-dir]`: renders the charts of a
 * `bench:compare` run (default `bench-results/compare.json`) into `charts/`,
 * where `apps/bench/README.md` shows them beside the tables.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [input = 'bench-results/compare.json', output = 'charts'] = argv.filter(
    (arg) => arg !== '--',
  );
  let results: CompareJson;
  try {
    results = JSON.parse(await readFile(resolve(input), 'utf8')) as CompareJson;
  } catch (error) {
    console.error(
      `pnpm bench:charts: cannot read ${input} (${error instanceof Error ? error.message : String(error)}); run pnpm bench:compare first`,
    );
    return 1;
  }
  await mkdir(resolve(output), { recursive: true });
  for (const chart of await renderCharts(results)) {
    await writeFile(join(resolve(output), chart.file), chart.svg);
    console.log(`${join(output, chart.file)}: ${chart.title}`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
