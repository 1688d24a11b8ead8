import { createHash, timingSafeEqual } from 'node:crypto';
import { Metrics } from './metrics.js';

/**
 * The `/metrics` handler: the exposition text from `render`, behind `Authorization: Bearer <token>` when a token is
 * set (`--metrics-token-file`, `GRANTRY_METRICS_TOKEN`). A missing or wrong token gets 401 with a
 * `WWW-Authenticate: Bearer` challenge (RFC 6750 §3; `error="invalid_token"` only when a token was sent, §3.1).
 * The token is compared in constant time, as SHA-256 digests so that its length does not leak either.
 *
 * @example
 * ```ts
 * const handle = metricsEndpoint(() => metrics.render(), process.env.GRANTRY_METRICS_TOKEN);
 * const response = handle(new Request('http://127.0.0.1:9464/metrics', { headers: { authorization: 'Bearer s3cret' } }));
 * ```
 */
export function metricsEndpoint(render: () => string, token: string | undefined): (request: Request) => Response {
  const expected = token === undefined ? undefined : digest(token);
  return (request) => {
    if (expected !== undefined) {
      const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(request.headers.get('authorization') ?? '');
      if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
        const sent = request.headers.has('authorization');
        return Response.json(
          { error: 'invalid_token', error_description: sent ? 'the metrics token is wrong' : 'a bearer token is required for /metrics' },
          {
            status: 401,
            headers: { 'cache-control': 'no-store', 'www-authenticate': sent ? 'Bearer realm="metrics", error="invalid_token"' : 'Bearer realm="metrics"' },
          },
        );
      }
    }
    return new Response(render(), { headers: { 'content-type': Metrics.contentType, 'cache-control': 'no-store' } });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
