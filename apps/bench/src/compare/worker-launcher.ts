import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decodeResult, type WorkerRequest } from './worker-protocol.js';
import type { Metrics } from './workloads/case-params.js';

/** How worker processes run the TypeScript worker. */
export type WorkerLoader = 'bundle' | 'tsx';

/** Starts one fresh worker process per case and peer. */
export interface WorkerLauncher {
  /** How workers are started, for the report. */
  readonly description: string;
  /**
   * Runs `request` in a fresh `node` process and returns its metrics.
   * @throws {Error} when the worker fails, times out or prints no result.
   */
  run(request: WorkerRequest, timeoutMs: number): Promise<Metrics>;
  /** Removes what the launcher wrote (the bundle). */
  close(): Promise<void>;
}

const benchRoot = fileURLToPath(new URL('../../', import.meta.url));
const workerSource = fileURLToPath(new URL('./worker.ts', import.meta.url));
// Under the bench app's node_modules, so the bundle's bare imports of the
// peers resolve to the pinned versions installed there; one directory per run,
// so concurrent runs do not overwrite each other's bundle.
const bundleDir = fileURLToPath(
  new URL(`../../node_modules/.cache/aa-bench-compare/${process.pid}/`, import.meta.url),
);
// Loaded by the worker from node_modules, never bundled: measured as installed.
const PEER_PACKAGES = [
  'lru-cache',
  'bentocache',
  'bentocache/drivers/memory',
  'cache-manager',
  'keyv',
  'async-cache-dedupe',
];

/**
 * A launcher for `loader`:
 *
 * - `bundle` (the default): the worker and the workspace sources it imports
 *   (`@aa/cache` through the `@aa/source` condition) are bundled once per run
 *   with the esbuild that tsx itself transforms with, and each worker is a
 *   plain `node` process. The peers stay external. tsx's loader costs
 *   0.5–1 s per process on a busy machine, and a run starts hundreds.
 * - `tsx`: `node --conditions=@aa/source --import tsx worker.ts`, as
 *   `pnpm bench` runs; slower to start, same code.
 *
 * Falls back to `tsx` when esbuild cannot be found.
 */
export async function createLauncher(loader: WorkerLoader): Promise<WorkerLauncher> {
  if (loader === 'bundle') {
    const bundle = await bundleWorker().catch((error: unknown) => {
      console.error(`bench:compare: cannot bundle the worker (${String(error)}); using tsx`);
      return undefined;
    });
    if (bundle !== undefined) {
      return launcher('plain node, worker bundled once with esbuild', ['--expose-gc', bundle], () =>
        rm(bundleDir, { recursive: true, force: true }),
      );
    }
  }
  return launcher(
    'node --import tsx',
    ['--conditions=@aa/source', '--import', 'tsx', '--expose-gc', workerSource],
    async () => {},
  );
}

function launcher(
  description: string,
  nodeArgs: readonly string[],
  close: () => Promise<void>,
): WorkerLauncher {
  return {
    description,
    close,
    run: (request, timeoutMs) =>
      new Promise((resolve, reject) => {
        execFile(
          process.execPath,
          [...nodeArgs, JSON.stringify(request)],
          { cwd: benchRoot, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
          (error, stdout, stderr) => {
            if (error !== null) {
              reject(workerError(error, stderr, timeoutMs));
              return;
            }
            try {
              resolve(decodeResult(stdout));
            } catch (decodeError) {
              reject(decodeError);
            }
          },
        );
      }),
  };
}

/**
 * Why a worker failed, in a first line fit for a table cell (a timeout, or the
 * error it died of), followed by the end of its stderr.
 */
function workerError(
  error: Error & { killed?: boolean; code?: number | string | null },
  stderr: string,
  timeoutMs: number,
): Error {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  const thrown = lines.find((line) => /^\w*(Error|Exception)\b/.test(line));
  const headline = error.killed
    ? `timed out after ${timeoutMs} ms`
    : `exited with code ${String(error.code)}${thrown === undefined ? '' : `: ${thrown}`}`;
  return new Error([headline, ...lines.slice(-5)].join('\n'), { cause: error });
}

/** The part of esbuild's API used here. */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ errors: readonly unknown[] }>;
}

async function bundleWorker(): Promise<string> {
  // esbuild is tsx's own dependency, not the bench app's: reach it through tsx.
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  const esbuild: unknown = fromTsx('esbuild');
  if (!isEsbuild(esbuild)) throw new Error('esbuild has no build()');
  await mkdir(bundleDir, { recursive: true });
  await esbuild.build({
    entryPoints: { worker: workerSource },
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    conditions: ['@aa/source'],
    external: PEER_PACKAGES,
    sourcemap: false,
    logLevel: 'error',
  });
  return `${bundleDir}worker.mjs`;
}

function isEsbuild(value: unknown): value is Esbuild {
  return (
    typeof value === 'object' &&
    value !== null &&
    'build' in value &&
    typeof value.build === 'function'
  );
}
