import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Resolve `grantry/...` imports (README examples, tests) to the TypeScript sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // eventsource-parser (under the MCP SDK) exports its TypeScript sources under `source` too: vitest transforms
    // them rather than handing Node a .ts file.
    server: { deps: { inline: ['eventsource-parser', /@modelcontextprotocol\/sdk/] } },
    hookTimeout: 60_000,
    pool: 'forks',
    // Many files wait on real processes, sockets, browsers and timers rather than on the CPU: three at a time on the
    // two cores of CI (vitest's default would be one).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
  },
});
