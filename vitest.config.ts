import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Resolve `grantry/...` imports (README examples, tests) to the TypeScript sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Many files wait on real processes, sockets, browsers and timers rather than on the CPU: three at a time on the
    // two cores of CI (vitest's default would be one).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
  },
});
