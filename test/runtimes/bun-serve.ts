// Serves the flows app through Bun's own HTTP server: `bun test/runtimes/bun-serve.ts` (Bun runs the TypeScript
// sources as they are). Prints `{"port":N}` once listening.
import { lazyFlowsApp, type FlowsAppEnv } from './flows-app.js';

declare const Bun: {
  serve(options: { hostname: string; port: number; fetch: (request: Request) => Promise<Response> }): { port: number };
};

const env = process.env as unknown as FlowsAppEnv;
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: lazyFlowsApp(() => env) });
console.log(JSON.stringify({ port: server.port }));
