import { parseBasicClientId, readBoundedText } from './request-info.js';
import { OAuthError } from '../core/oauth-error.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * Wraps a client-authenticating endpoint (token, revocation, introspection, device authorization) with the
 * brute-force limiter: RFC 6749 §2.3.1 "MUST protect any endpoint utilizing [client passwords] against brute
 * force attacks", RFC 7009 §5 and RFC 7662 §4 for the others. Failed client authentications count per client id
 * and per source address; failed password grants (RFC 6749 §4.3, §10.10) count per username, the same key as
 * the login page. Over the limit the endpoint answers 429 with `Retry-After` before it checks anything.
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
    const params = await peekParams(request);
    const clientId = parseBasicClientId(request.headers.get('authorization')) ?? params?.get('client_id') ?? undefined;
    const clientKeys = [`ip:${source}`, ...(clientId ? [`client:${clientId}`] : [])];
    const username = params?.get('grant_type') === 'password' ? params.get('username') : null;
    const userKeys = username ? [`user:${username.toLowerCase()}`] : [];
    const wait = await limiter.retryAfter([...clientKeys, ...userKeys]);
    if (wait !== undefined) {
      onLimited();
      return OAuthError.tooManyRequests(wait).toResponse();
    }
    const response = await handler(request);
    const error = await errorCode(response);
    if (error === 'invalid_client') await limiter.fail(clientKeys);
    else if (error === 'invalid_grant' && userKeys.length > 0) await limiter.fail(userKeys);
    return response;
  };
}

const MAX_PEEK_BYTES = 16 * 1024;

/**
 * The form parameters, read from a copy of the body so that the handler still gets the whole request. At most
 * 16 KiB are read: a larger body is refused by the endpoint anyway, and reading it all here would let anyone make
 * the server buffer it.
 */
async function peekParams(request: Request): Promise<URLSearchParams | undefined> {
  if (request.method !== 'POST' || !request.body) return undefined;
  const text = await readBoundedText(request.clone(), MAX_PEEK_BYTES);
  return text === undefined ? undefined : new URLSearchParams(text);
}

async function errorCode(response: Response): Promise<string | undefined> {
  if (response.status !== 401 && response.status !== 400) return undefined;
  try {
    const body = (await response.clone().json()) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}
