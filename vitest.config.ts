import { defineConfig } from 'vitest/config';

/**
 * One root run over every package, against sources rather than builds: the
 * `@aa/source` export condition points each workspace package at its
 * `src/index.ts`. Node tests resolve through `ssr.resolve`, not `resolve`.
 */
export default defineConfig({
  ssr: {
    resolve: {
      conditions: ['@aa/source'],
      externalConditions: ['@aa/source'],
    },
  },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      'packages/core',
      'packages/cache',
      'packages/testing',
      'packages/invalidation',
      'packages/storage-postgres',
      'packages/invalidation-redis',
      'packages/invalidation-gateway',
      'packages/storage-redis',
      'packages/test-infra',
      'apps/bench',
    ].map((root) => ({
      extends: true,
      test: {
        name: root.slice(root.indexOf('/') + 1),
        root,
        include: ['test/**/*.test.ts'],
        typecheck: {
          enabled: true,
          include: ['test/**/*.test-d.ts'],
          tsconfig: 'tsconfig.json',
        },
      },
    })),
    pool: 'threads',
    maxWorkers: 2,
  },
});
