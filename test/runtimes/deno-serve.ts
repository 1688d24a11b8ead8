// Serves the flows app through Deno's own HTTP server: `deno run --sloppy-imports test/runtimes/deno-serve.ts`
// (Deno runs the TypeScript sources; sloppy imports map their `.js` specifiers to the `.ts` files). Prints
// `{"port":N}` once listening.
import { lazyFlowsApp, type FlowsAppEnv } from './flows-app.js';

declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen: (address: { port: number }) => void },
    handler: (request: Request) => Promise<Response>,
  ): unknown;
  env: { toObject(): Record<string, string> };
};

const env = Deno.env.toObject() as unknown as FlowsAppEnv;
Deno.serve(
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(JSON.stringify({ port })) },
  lazyFlowsApp(() => env),
);
