import { OAuthError } from './oauth-error.js';
import { PlainRequest, type AnyRequest } from './plain-request.js';

/**
 * Request parameters after the RFC 6749 §3.1/§3.2 rules: one value each, empty values omitted.
 *
 * @example
 * ```ts
 * const params: Params = await readForm(request);
 * const scope = params.get('scope'); // string | undefined: empty values are omitted
 * ```
 */
export type Params = ReadonlyMap<string, string>;

/**
 * The default limit on a form body: token requests are small.
 *
 * @example
 * ```ts
 * const params = await readForm(request, DEFAULT_MAX_BODY_BYTES * 2);
 * ```
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** One parse per request: the limiter in front of an endpoint and the endpoint itself share it (as hono does). */
const parsedForms = new WeakMap<AnyRequest, Promise<Params>>();

/**
 * Reads an `application/x-www-form-urlencoded` POST body (RFC 6749 §3.2) within a size limit.
 * Repeated parameters are `invalid_request` (RFC 6749 §3.1: "MUST NOT be included more than once"), except
 * `resource` (RFC 8707 §2; read every value with {@link paramValues}); parameters
 * sent without a value are treated as omitted; unknown parameters are kept and ignored by the grants.
 * The body is read once per `Request`: later calls (a limiter, then the endpoint) get the same parameters or the
 * same error, and the first call's `maxBytes` applies. A {@link PlainRequest} (the Node adapters' body already in
 * memory) is read by the same rules, without a web stream.
 *
 * @example
 * ```ts
 * const params = await readForm(request);
 * params.get('grant_type'); // 'refresh_token'
 * ```
 */
export function readForm(request: AnyRequest, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<Params> {
  let parsed = parsedForms.get(request);
  if (!parsed) {
    parsed = parseForm(request, maxBytes);
    // The same rejection may reach no caller yet; it is handled where it is awaited.
    parsed.catch(() => undefined);
    parsedForms.set(request, parsed);
  }
  return parsed;
}

/**
 * {@link readForm} without a promise when it can: a {@link PlainRequest}'s body is already in memory, so its
 * parameters come back at once (and are kept for later `readForm` calls, as `readForm` keeps them); a parse error
 * is thrown. Otherwise, `readForm`'s promise. For the token endpoint's hot path. Internal.
 *
 * @example
 * ```ts
 * const form = readFormNow(request, maxBytes);
 * const params = form instanceof Promise ? await form : form;
 * ```
 */
export function readFormNow(request: AnyRequest, maxBytes = DEFAULT_MAX_BODY_BYTES): Params | Promise<Params> {
  if (!(request instanceof PlainRequest) || parsedForms.has(request)) return readForm(request, maxBytes);
  try {
    const params = parsePlainForm(request, maxBytes);
    parsedForms.set(request, Promise.resolve(params));
    return params;
  } catch (error) {
    const failed = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    failed.catch(() => undefined);
    parsedForms.set(request, failed);
    throw error;
  }
}

function checkFormRequest(request: AnyRequest): void {
  if (request.method !== 'POST') {
    throw new OAuthError('invalid_request', 'This endpoint accepts POST only.', { status: 405, headers: { Allow: 'POST' } });
  }
  const type = request.headers.get('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw OAuthError.invalidRequest('The body must be application/x-www-form-urlencoded.');
  }
}

function parsePlainForm(request: PlainRequest, maxBytes: number): Params {
  checkFormRequest(request);
  return parseParams(new URLSearchParams(plainBodyText(request, maxBytes)));
}

async function parseForm(request: AnyRequest, maxBytes: number): Promise<Params> {
  if (request instanceof PlainRequest) return parsePlainForm(request, maxBytes);
  checkFormRequest(request);
  return parseParams(new URLSearchParams(await readBodyText(request, maxBytes)));
}

/**
 * The whole body of a request as UTF-8 text within a size limit: 413 `invalid_request` past `maxBytes` (by
 * `Content-Length` or as it arrives), 400 for bytes that are not UTF-8. Used by the JSON endpoints (dynamic client
 * registration); the form endpoints go through {@link readForm}. Internal.
 *
 * @example
 * ```ts
 * const text = await readRequestText(request, DEFAULT_MAX_BODY_BYTES);
 * ```
 */
export async function readRequestText(request: AnyRequest, maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<string> {
  return request instanceof PlainRequest ? plainBodyText(request, maxBytes) : readBodyText(request, maxBytes);
}

/**
 * Applies the one-value, no-empty-value rules to already-split parameters (a query string, for `/authorize`).
 *
 * @example
 * ```ts
 * const params = parseParams(new URL(request.url).searchParams);
 * ```
 */
export function parseParams(search: URLSearchParams): Params {
  const params = new Map<string, string>();
  // Names sent without a value (omitted, but still counted for repeats); most requests have none.
  let empty: Set<string> | undefined;
  for (const [name, value] of search) {
    if (REPEATABLE.has(name)) {
      if (value === '') continue;
      const values = repeatedValues(params);
      values.set(name, [...(values.get(name) ?? []), value]);
      if (!params.has(name)) params.set(name, value);
      continue;
    }
    if (params.has(name) || empty?.has(name)) throw OAuthError.invalidRequest('A parameter was sent more than once.');
    if (value !== '') params.set(name, value);
    else (empty ??= new Set()).add(name);
  }
  return params;
}

/** RFC 8707 §2: `resource` "can be repeated to indicate multiple target resources"; every other parameter is once. */
const REPEATABLE: ReadonlySet<string> = new Set(['resource']);

/** Every value of the repeatable parameters, beside the one-value map (its `get` answers the first value). */
const repeated = new WeakMap<Params, Map<string, string[]>>();

function repeatedValues(params: Params): Map<string, string[]> {
  let values = repeated.get(params);
  if (!values) repeated.set(params, (values = new Map<string, string[]>()));
  return values;
}

/**
 * Every value of a parameter that may be repeated (RFC 8707 §2 `resource`), in the order sent; for a map built by
 * hand (not by {@link readForm} or {@link parseParams}), its one value.
 *
 * @example
 * ```ts
 * // POST /token  grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example
 * paramValues(await readForm(request), 'resource'); // ['https://a.example', 'https://b.example']
 * ```
 */
export function paramValues(params: Params, name: string): string[] {
  const values = repeated.get(params)?.get(name);
  if (values) return [...values];
  const one = params.get(name);
  return one === undefined ? [] : [one];
}

const tooLarge = (): OAuthError =>
  new OAuthError('invalid_request', 'The request body is too large.', { status: 413 });

function plainBodyText(request: PlainRequest, maxBytes: number): string {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (request.body === null) return '';
  if (request.body.byteLength > maxBytes) throw tooLarge();
  return decodeUtf8(request.body);
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(body: Uint8Array): string {
  try {
    return utf8Strict.decode(body);
  } catch {
    throw OAuthError.invalidRequest('The request body is not valid UTF-8.');
  }
}

async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return decodeUtf8(chunks.length === 1 ? chunks[0]! : concat(chunks, size));
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
