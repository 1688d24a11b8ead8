import { NO_STORE_HEADERS, type OAuthError } from './oauth-error.js';

/**
 * The one method of `Headers` the core reads: a header's value by case-insensitive name, repeated headers joined
 * with `, ` as the Fetch API joins them, `null` when absent.
 *
 * @example
 * ```ts
 * const headers: HeaderReader = new Headers({ authorization: 'Basic YXBwOnNlY3JldA==' });
 * headers.get('Authorization'); // 'Basic YXBwOnNlY3JldA=='
 * ```
 */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * A request as the core's form endpoints read it, without Fetch objects: method, URL, headers and the whole body
 * already in memory. The node:http, Express and Fastify adapters build one for the token, introspection and
 * revocation endpoints instead of a `Request` (no `Headers`, web stream or `AbortSignal`); Fetch runtimes keep
 * passing `Request` objects. `readForm`, `readClientCredentials` and `authenticateClient` accept either. An
 * advanced, internal path: its shape may change between minor versions.
 *
 * @example
 * ```ts
 * const body = new TextEncoder().encode('grant_type=client_credentials');
 * const request = new PlainRequest('POST', 'https://auth.example.com/token',
 *   new Headers({ 'content-type': 'application/x-www-form-urlencoded', authorization: basic }), body);
 * const result = await server.serveTokenRequest(request); // { status: 200, headers, body: '{"access_token":...}' }
 * ```
 */
export class PlainRequest {
  #request: Request | undefined;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: HeaderReader,
    /** The body, read whole; `null` for a request without one. */
    readonly body: Uint8Array | null,
  ) {}

  /**
   * The same request as a Fetch `Request`, built on first use (for a grant written against `TokenRequest.request`);
   * the built-in grants never ask for it. Headers are copied when `headers` is iterable, else only those the core
   * reads.
   *
   * @example
   * ```ts
   * const request: Request = plain.toRequest();
   * ```
   */
  toRequest(): Request {
    if (this.#request) return this.#request;
    const headers = new Headers();
    const source = this.headers as Partial<Iterable<[string, string]>>;
    if (typeof source[Symbol.iterator] === 'function') {
      for (const [name, value] of source as Iterable<[string, string]>) headers.append(name, value);
    } else {
      for (const name of ['authorization', 'content-type', 'content-length', 'dpop', 'accept']) {
        const value = this.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
    }
    const body = this.body === null || this.method === 'GET' || this.method === 'HEAD' ? null : new Uint8Array(this.body);
    this.#request = new Request(this.url, { method: this.method, headers, body });
    return this.#request;
  }
}

/**
 * Either kind of request the core's form endpoints take.
 *
 * @example
 * ```ts
 * async function clientOf(request: AnyRequest) { return readClientCredentials(request, await readForm(request)); }
 * ```
 */
export type AnyRequest = Request | PlainRequest;

/**
 * An answer of the core without a `Response`: what the Node adapters write straight to the socket. The header
 * names are lower case; `body` is the JSON text, or `''` for none.
 *
 * @example
 * ```ts
 * const { status, headers, body } = await server.serveTokenRequest(plain);
 * res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
 * ```
 */
export interface PlainResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const LOWER_NO_STORE: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(NO_STORE_HEADERS).map(([name, value]) => [name.toLowerCase(), value])),
);

/**
 * A 200 JSON answer with `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1), as a {@link PlainResult}.
 *
 * @example
 * ```ts
 * return plainJson({ active: false });
 * ```
 */
export function plainJson(body: unknown): PlainResult {
  return { status: 200, headers: LOWER_NO_STORE, body: JSON.stringify(body) };
}

/**
 * The {@link PlainResult} of an `OAuthError`: the same status, headers and JSON body as its `toResponse()`.
 *
 * @example
 * ```ts
 * return plainError(OAuthError.invalidRequest('The token parameter is required.'));
 * ```
 */
export function plainError(error: OAuthError): PlainResult {
  const headers: Record<string, string> = { ...LOWER_NO_STORE };
  for (const [name, value] of Object.entries(error.headers)) headers[name.toLowerCase()] = value;
  return { status: error.status, headers, body: JSON.stringify(error.toJSON()) };
}

/**
 * Turns a {@link PlainResult} into a Fetch `Response` (for tests and for callers that need one).
 *
 * @example
 * ```ts
 * const response = plainToResponse(await server.serveTokenRequest(plain));
 * ```
 */
export function plainToResponse(result: PlainResult): Response {
  return new Response(result.body === '' ? null : result.body, { status: result.status, headers: result.headers });
}
