import type { DpopBinding } from '../contracts/grant.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { AnyRequest } from '../contracts/plain-request.js';
import type { ReplayRepository } from '../contracts/replay-repository.js';
import type { ServerContext } from '../contracts/server-context.js';
import type { Client } from '../contracts/types.js';
import { verifyDpopProof } from '../tokens/dpop-proof.js';
import { DPOP_FAILURES, readDpopHeader, type DpopOptions } from './dpop-options.js';

/**
 * A process-local replay store, for a server given no `replays` repository: single use holds within this process
 * only (give the storage's `replays` when several instances serve one issuer).
 */
export class LocalReplays implements ReplayRepository {
  readonly #seen = new Map<string, number>();
  #writes = 0;

  constructor(private readonly now: () => number) {}

  async useOnce(namespace: string, id: string, expiresAt: number): Promise<boolean> {
    const now = this.now();
    if (++this.#writes % 1000 === 0) for (const [key, until] of this.#seen) if (until <= now) this.#seen.delete(key);
    const key = `${namespace}\u0000${id}`;
    const until = this.#seen.get(key);
    if (until !== undefined && until > now) return false;
    this.#seen.set(key, expiresAt);
    return true;
  }
}

/** What the token endpoint's DPoP check needs. */
export interface TokenEndpointDpop {
  readonly options: DpopOptions | false;
  readonly replays: ReplayRepository;
  /** The token endpoint's configured URL: a proof's `htu` may name it or the URL the request arrived at. */
  readonly tokenEndpoint: string;
}

/**
 * RFC 9449 §5: the DPoP proof of a token request, checked per §4.3, or `undefined` (at once, with no promise: the
 * common case costs the token endpoint nothing) when the request has none and neither the server nor the client
 * requires one. Throws `invalid_dpop_proof` (400) when a required proof is missing; the promise rejects with
 * `invalid_dpop_proof` or `use_dpop_nonce` (400 with `DPoP-Nonce`, §8).
 *
 * @example
 * ```ts
 * const binding = await checkTokenRequestProof(request, client, server, { options: {}, replays, tokenEndpoint }); // or undefined
 * binding?.jkt; // bind the tokens to it
 * ```
 */
export function checkTokenRequestProof(request: AnyRequest, client: Client, server: ServerContext, dpop: TokenEndpointDpop): Promise<DpopBinding> | undefined {
  const header = readDpopHeader(request.headers);
  const options = dpop.options;
  const required = client.dpopBoundAccessTokens === true || (options !== false && options.required === true);
  if (header === null || options === false) {
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens "MUST always use DPoP"; so must every client
    // of a server that requires it.
    if (required) throw OAuthError.invalidDpopProof('A DPoP proof is required (RFC 9449): send a DPoP header.');
    return undefined;
  }
  return checkProof(request, header, options, server, dpop.replays, dpop.tokenEndpoint).then((jkt) => ({ jkt }));
}

/**
 * RFC 9449 §10.1: the DPoP proof of a pushed authorization request, when it has a `DPoP` header (and DPoP is on):
 * checked per §4.3 with the PAR endpoint's URL as `htu`, the key's thumbprint returned to bind the code as `dpop_jkt`
 * does. `undefined` without a header: DPoP at PAR is optional, the token request can still bind the tokens. Throws
 * as {@link checkTokenRequestProof} does.
 *
 * @example
 * ```ts
 * const jkt = await checkPushedRequestProof(request, server, { options: {}, replays, endpoint: 'https://as.example/par' });
 * ```
 */
export async function checkPushedRequestProof(
  request: AnyRequest,
  server: ServerContext,
  dpop: { readonly options: DpopOptions | false; readonly replays: ReplayRepository; readonly endpoint: string },
): Promise<string | undefined> {
  const header = readDpopHeader(request.headers);
  if (header === null || dpop.options === false) return undefined;
  return checkProof(request, header, dpop.options, server, dpop.replays, dpop.endpoint);
}

/** RFC 9449 §4.3 on a request's proof: its key's thumbprint, or `invalid_dpop_proof` / `use_dpop_nonce` (§8). */
async function checkProof(
  request: AnyRequest,
  header: { readonly proof?: string },
  options: DpopOptions,
  server: ServerContext,
  replays: ReplayRepository,
  endpoint: string,
): Promise<string> {
  if (header.proof === undefined) throw OAuthError.invalidDpopProof('Send exactly one DPoP header.');
  const result = await verifyDpopProof(header.proof, {
    method: request.method,
    url: [request.url, endpoint],
    now: server.clock.now(),
    algorithms: options.algorithms,
    maxAge: options.maxAge,
    clockTolerance: options.clockTolerance,
    nonces: options.nonces,
    replays,
    crypto: server.crypto,
  });
  if (!result.valid) {
    if (result.reason === 'nonce' && result.nonce !== undefined) throw OAuthError.useDpopNonce(result.nonce);
    throw OAuthError.invalidDpopProof(DPOP_FAILURES[result.reason]);
  }
  return result.proof.jkt;
}
