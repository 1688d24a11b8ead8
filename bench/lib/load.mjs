// The workloads, driven by autocannon from the orchestrator's core. Each run is bounded in time.
import autocannon from 'autocannon';
import { BASIC } from './shared.mjs';

const FORM = { 'content-type': 'application/x-www-form-urlencoded', authorization: BASIC };

export const WORKLOADS = {
  W1: { title: 'client credentials', path: '/token' },
  W2: { title: 'refresh (never-used token each request)', path: '/token' },
  W3: { title: 'resource server: validate bearer', path: '/resource' },
  W4: { title: 'introspection', path: '/introspect' },
};

/**
 * The autocannon request list for a workload. `pool` (W2) is an array of never-used refresh tokens, consumed from
 * the front; `accessToken` serves W3/W4. When the pool runs dry the run is stopped and marked exhausted.
 */
export function requestsFor(workload, { pool, accessToken, onExhausted }) {
  switch (workload) {
    case 'W1':
      return [{ method: 'POST', path: '/token', headers: FORM, body: 'grant_type=client_credentials&scope=read%20write' }];
    case 'W2': {
      let i = 0;
      return [
        {
          method: 'POST',
          path: '/token',
          headers: FORM,
          setupRequest(req) {
            if (i >= pool.length) {
              onExhausted();
              return { ...req, body: 'grant_type=refresh_token&refresh_token=exhausted' };
            }
            return { ...req, body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(pool[i++])}` };
          },
        },
      ];
    }
    case 'W3':
      return [{ method: 'GET', path: '/resource', headers: { authorization: `Bearer ${accessToken}` } }];
    case 'W4':
      return [
        {
          method: 'POST',
          path: '/introspect',
          headers: FORM,
          body: `token=${encodeURIComponent(accessToken)}&token_type_hint=access_token`,
        },
      ];
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

/** One timed run; resolves with the figures autocannon measured. */
export function runLoad({ port, requests, seconds, connections = 32 }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests, timeout: 10 },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            requests: result.requests.total,
            seconds: result.duration,
            rps: result.requests.total / result.duration,
            p50: result.latency.p50,
            p99: result.latency.p99,
            non2xx: result.non2xx,
            errors: result.errors + result.timeouts,
          });
      },
    );
    runLoad.current = instance;
  });
}

/** Stops the run in progress (the W2 pool ran dry). */
export function stopLoad() {
  runLoad.current?.stop();
}
