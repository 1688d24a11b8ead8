// A bounded W2 run against a started server, with a fresh pool of never-used refresh tokens minted before it.
import { requestsFor, runLoad, stopLoad } from './load.mjs';

export async function refreshLoad(server, seconds, estimateRps, during) {
  const pool = await server.call('mintRefresh', Math.ceil(estimateRps * seconds * 2) + 200);
  let exhausted = false;
  const requests = requestsFor('W2', {
    pool,
    onExhausted: () => {
      if (!exhausted) stopLoad();
      exhausted = true;
    },
  });
  const load = runLoad({ port: server.port, requests, seconds });
  const extra = during ? await during(load) : undefined;
  const result = await load;
  return { ...result, exhausted, extra };
}
