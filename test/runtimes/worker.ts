// The flows app as a Worker module: workerd calls `fetch` with the request and the bindings of its config
// (see workerd-config.ts). Bundled into one ESM file by esbuild before workerd loads it.
import { lazyFlowsApp, type FlowsAppEnv } from './flows-app.js';

let handler: ((request: Request) => Promise<Response>) | undefined;

export default {
  fetch(request: Request, env: FlowsAppEnv): Promise<Response> {
    handler ??= lazyFlowsApp(() => env);
    return handler(request);
  },
};
