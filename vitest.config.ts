import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Resolve `grantry/...` imports (README examples, tests) to the TypeScript sources.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    // The workers run Node with `--conditions source`, under which eventsource-parser (imported by the MCP SDK's
    // Streamable HTTP client) resolves to its TypeScript sources: vitest transforms that import chain instead.
    server: { deps: { inline: ['eventsource-parser', /@modelcontextprotocol\/sdk\/dist\/esm\/client\/streamableHttp\.js$/] } },
    hookTimeout: 60_000,
    pool: 'forks',
    // Many files wait on real processes, sockets, browsers and timers rather than on the CPU: three at a time on the
    // two cores of CI (vitest's default would be one).
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
  },
});
