import type { Clock } from '../contracts/clock.js';
import { systemClock } from '../contracts/clock.js';
import { toSeconds, type Duration } from '../contracts/duration.js';
import { OAuthError } from '../contracts/oauth-error.js';
import type { ClientRepository } from '../contracts/repositories.js';
import type { Client } from '../contracts/types.js';
import { SafeFetchError, safeFetchJson, type SafeFetchTransport } from '../tokens/safe-fetch.js';
import { clientFromMetadataDocument, clientIdUrlProblem, isClientIdMetadataDocumentUrl } from './client-metadata-document.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * Settings of client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): given to
 * `AuthorizationServer` as `clientIdMetadataDocuments`, they turn the feature on. A `client_id` that is an https
 * URL and names no registered client is then resolved by fetching that document.
 *
 * @example
 * ```ts
 * const server = new AuthorizationServer({ ...options, clientIdMetadataDocuments: { denyHosts: ['*.evil.example'] } });
 * ```
 */
export interface ClientIdMetadataDocumentOptions {
  /** Host patterns whose documents are fetched (`app.example`, `*.example.com` for its subdomains, `*`); default: all. */
  allowHosts?: readonly string[];
  /** Host patterns never fetched; checked before `allowHosts`. */
  denyHosts?: readonly string[];
  /** Fetch from loopback addresses (127.0.0.0/8, ::1): a server and its clients on one machine, tests. Default false. */
  allowLoopback?: boolean;
  /** Fetch from every special-use address (private networks, link-local, …). Default false; think twice. */
  allowPrivateAddresses?: boolean;
  /** Largest document in bytes (default 5 120, the draft's recommendation, §6.6). */
  maxBytes?: number;
  /** Milliseconds for one fetch, from name resolution to the last byte (default 5 000). */
  timeoutMs?: number;
  /** Documents kept in the cache at most (default 1 000; the least recently used goes first). */
  cacheMaxEntries?: number;
  /** How long a document without `Cache-Control` or `Expires` is reused (default 5 minutes). */
  cacheTTL?: Duration;
  /** The longest a document is reused, whatever its headers say (default 1 day). */
  cacheMaxTTL?: Duration;
  /** Extra CA certificates (PEM) trusted for these fetches, beside the runtime's own: a test or a private CA. */
  ca?: string | readonly string[];
  /** How documents are fetched (default: `safeFetchJson`'s transport for the runtime). */
  transport?: SafeFetchTransport;
}

interface Entry {
  readonly client: Client;
  readonly expiresAt: number;
}

const DEFAULT_CACHE_ENTRIES = 1000;

/** Whether a host matches a pattern: the host itself, `*.parent` for any name under `parent`, or `*` for all. */
function matchesHost(pattern: string, host: string): boolean {
  const p = pattern.trim().toLowerCase().replace(/\.+$/, '');
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  return host === p;
}

/**
 * A {@link ClientRepository} that also knows clients by their client ID metadata document: a registered client
 * comes first (an operator may pre-register a document URL, draft §6.10); an https `client_id` otherwise is fetched
 * with {@link safeFetchJson} (SSRF-safe, size and time limits, redirects refused), validated by
 * `clientFromMetadataDocument`, and cached for the lifetime its HTTP cache headers give, within
 * `cacheMaxTTL` and `cacheMaxEntries`. Failures are not cached (draft §4.4: "MUST NOT cache error responses"), and
 * concurrent requests for one document share one fetch. Every refusal is an `invalid_client` `OAuthError` whose
 * description names the problem.
 *
 * @example
 * ```ts
 * const clients = new MetadataDocumentClients(storage.clients, { allowHosts: ['*.example.com'] });
 * const client = await clients.getClient('https://app.example.com/oauth/client.json');
 * ```
 */
export class MetadataDocumentClients implements ClientRepository {
  readonly #cache = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<Client>>();
  readonly #defaultTTL: number;
  readonly #maxTTL: number;
  readonly #maxEntries: number;

  constructor(
    readonly registered: ClientRepository,
    readonly options: ClientIdMetadataDocumentOptions = {},
    readonly clock: Clock = systemClock,
  ) {
    this.#defaultTTL = toSeconds(options.cacheTTL ?? 300);
    this.#maxTTL = toSeconds(options.cacheMaxTTL ?? 86_400);
    this.#maxEntries = options.cacheMaxEntries ?? DEFAULT_CACHE_ENTRIES;
    for (const [name, value] of [['maxBytes', options.maxBytes], ['timeoutMs', options.timeoutMs], ['cacheMaxEntries', options.cacheMaxEntries]] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new TypeError(`grantry: clientIdMetadataDocuments.${name} must be a positive whole number`);
    }
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const registered = await this.registered.getClient(clientId);
    if (registered || !isClientIdMetadataDocumentUrl(clientId)) return registered;
    const cached = this.#cache.get(clientId);
    if (cached && cached.expiresAt > this.clock.now()) {
      // Least recently used goes first: a hit moves the entry to the end.
      this.#cache.delete(clientId);
      this.#cache.set(clientId, cached);
      return cached.client;
    }
    this.#cache.delete(clientId);
    let pending = this.#inFlight.get(clientId);
    if (!pending) {
      pending = this.#fetch(clientId).finally(() => this.#inFlight.delete(clientId));
      this.#inFlight.set(clientId, pending);
    }
    return pending;
  }

  async #fetch(clientId: string): Promise<Client> {
    const problem = clientIdUrlProblem(clientId);
    if (problem !== undefined) throw new OAuthError('invalid_client', `The client_id ${clientId} is not a valid client ID metadata document URL: it ${problem}.`, { status: 400 });
    // A fully qualified name's trailing dot names the same host: it must not slip past a pattern.
    const host = new URL(clientId).hostname.toLowerCase().replace(/\.+$/, '');
    const { allowHosts, denyHosts } = this.options;
    if (denyHosts?.some((p) => matchesHost(p, host)) || (allowHosts !== undefined && !allowHosts.some((p) => matchesHost(p, host)))) {
      throw new OAuthError('invalid_client', `This server does not accept client ID metadata documents from ${host}.`, { status: 400 });
    }
    let fetched;
    try {
      fetched = await safeFetchJson(clientId, {
        maxBytes: this.options.maxBytes ?? 5120,
        timeoutMs: this.options.timeoutMs ?? 5000,
        ...(this.options.allowLoopback === undefined ? {} : { allowLoopback: this.options.allowLoopback }),
        ...(this.options.allowPrivateAddresses === undefined ? {} : { allowPrivateAddresses: this.options.allowPrivateAddresses }),
        ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
        ...(this.options.transport === undefined ? {} : { transport: this.options.transport }),
        // Some hosts refuse requests without a User-Agent.
        headers: { 'user-agent': 'grantry (OAuth client ID metadata document)' },
        clock: this.clock,
      });
    } catch (error) {
      if (!(error instanceof SafeFetchError)) throw error;
      // draft §4.3: "If fetching the metadata document fails, the authorization server SHOULD abort the authorization request."
      throw new OAuthError('invalid_client', `The client ID metadata document at ${clientId} could not be used: ${error.message}.`, { status: 400, cause: error });
    }
    const client = clientFromMetadataDocument(clientId, fetched.body);
    // draft §4.4: respect HTTP cache headers, within the server's own bounds; a document that failed is never cached.
    const ttl = Math.min(fetched.maxAgeSeconds ?? this.#defaultTTL, this.#maxTTL);
    if (ttl > 0) {
      this.#cache.set(clientId, { client, expiresAt: this.clock.now() + secondsToMs(ttl) });
      while (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    }
    return client;
  }
}
