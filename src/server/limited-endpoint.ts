import { parseBasicClientId } from './request-info.js';
import { OAuthError } from '../core/oauth-error.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Wraps a client-authenticating endpoint (token, revocation, introspection) with the brute-force limiter:
 * RFC 6749 §2.3.1 "MUST protect any endpoint utilizing [client passwords] against brute force attacks" and
 * RFC 7009 §5 / RFC 7662 §4 for the other two. Failures are counted per client id and per source address;
 * over the limit the endpoint answers 429 with `Retry-After` before it checks anything.
 *
 * @example
 * ```ts
 * const token = limitClientAuthentication(limiter, (r) => server.handleTokenRequest(r));
 * const response = await token(request, '203.0.113.7');
 * ```
 */
export function limitClientAuthentication(
  limiter: RateLimiter,
  handler: (request: Request) => Promise<Response>,
  onLimited: () => void = () => undefined,
): (request: Request, source: string) => Promise<Response> {
  return async (request, source) => {
    const clientId = await clientIdOf(request);
    const keys = [`ip:${source}`, ...(clientId === undefined ? [] : [`client:${clientId}`])];
    const wait = await limiter.retryAfter(keys);
    if (wait !== undefined) {
      onLimited();
      return OAuthError.tooManyRequests(wait).toResponse();
    }
    const response = await handler(request);
    if (await isClientAuthFailure(response)) await limiter.fail(keys);
    return response;
  };
}

async function clientIdOf(request: Request): Promise<string | undefined> {
  const basic = parseBasicClientId(request.headers.get('authorization'));
  if (basic !== undefined) return basic;
  if (request.method !== 'POST') return undefined;
  try {
    const text = await request.clone().text();
    const id = new URLSearchParams(text).get('client_id');
    return id === null || id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

async function isClientAuthFailure(response: Response): Promise<boolean> {
  if (response.status !== 401 && response.status !== 400) return false;
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return body.error === 'invalid_client';
  } catch {
    return false;
  }
}
