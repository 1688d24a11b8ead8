import { readClientCredentials } from '../contracts/client-authentication.js';
import { readForm } from '../contracts/form.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { Credential, RateLimiter } from './rate-limiter.js';

/**
 * Wraps a client-authenticating endpoint (token, revocation, introspection, device authorization) with the
 * brute-force limiter: RFC 6749 §2.3.1 "MUST protect any endpoint utilizing [client passwords] against brute
 * force attacks", §10.10 for resource owner passwords, RFC 7009 §5 and RFC 7662 §4 for the others.
 *
 * The limiter reads the request with the core's own parsers ({@link readForm}, {@link readClientCredentials}),
 * which parse once per request, so the endpoint gets the very same parameters. Before the endpoint runs, a source
 * that guessed one of the presented credentials too often gets 429 with `Retry-After`. The endpoint's
 * `respondTo…` method throws its `OAuthError`; one that carries a `guess` is counted, and may become a 429 for a
 * spraying source. Errors that are not guesses (a malformed body, a missing parameter, an unknown token) are
 * answered as they are and never counted.
 *
 * @example
 * ```ts
 * const token = limitClientAuthentication(limiter, (r) => server.respondToAccessTokenRequest(r), (e) => server.errorResponse(e));
 * const response = await token(request, '203.0.113.7');
 * ```
 */
export function limitClientAuthentication(
  limiter: RateLimiter,
  respond: (request: Request) => Promise<Response>,
  errorResponse: (error: unknown) => Promise<Response>,
): (request: Request, source: string) => Promise<Response> {
  return async (request, source) => {
    const wait = await limiter.admit(source, await presentedCredentials(request));
    if (wait !== undefined) return OAuthError.tooManyRequests(wait).toResponse();
    try {
      return await respond(request);
    } catch (error) {
      const guess = error instanceof OAuthError ? error.guess : undefined;
      if (guess) {
        const { retryAfter } = await limiter.fail(source, guess);
        if (retryAfter !== undefined) return OAuthError.tooManyRequests(retryAfter).toResponse();
      }
      return errorResponse(error);
    }
  };
}

/**
 * The guessable credentials a request presents: a client secret (by client id) and, for the password grant, the
 * username. A request the core cannot read presents none here; the endpoint answers it with the same error.
 */
async function presentedCredentials(request: Request): Promise<Credential[]> {
  try {
    const params = await readForm(request);
    const { id, secret, method } = readClientCredentials(request, params);
    // A client_secret_jwt assertion is MACed with the client's secret: a wrong one is a guess at it too.
    const guessesSecret = secret !== undefined || method === 'client_secret_jwt';
    const username = params.get('grant_type') === 'password' ? params.get('username') : undefined;
    return [
      // Only a presented secret can be a guess: a public client (client_id alone) is never limited by its id.
      ...(id !== undefined && guessesSecret ? [{ kind: 'client_secret' as const, subject: id }] : []),
      ...(username !== undefined ? [{ kind: 'password' as const, subject: username }] : []),
    ];
  } catch {
    return [];
  }
}
