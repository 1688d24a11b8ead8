// grantry/server: the ready-to-run server, for embedding or for building your own on the same parts.
export { loadConfig, type GrantName, type RawSettings, type ServerConfig } from './config.js';
export { startServer, type StartedServer } from './start-server.js';
export { createGrantryApp, type GrantryApp, type GrantryAppOptions, type RequestInfo } from './grantry-app.js';
export { createClient, openServerStore, type NewClient, type ServerStore } from './server-store.js';
export { fileKeySource, type KeySource, type KeysFile } from './key-store.js';
export { keyLifecyclePolicy } from './config.js';
export type { KeyLifecyclePolicy, KeyState, KeyView } from './key-lifecycle.js';
export type { KeysSecrets } from './keys-at-rest.js';
export { MemoryRateLimitStore, RateLimiter, type Credential, type FailOutcome, type LimiterEvent, type RateLimiterOptions, type RateLimitStore } from './rate-limiter.js';
export { Metrics } from './metrics.js';
export { clientAddress, parseTrustProxy, type TrustProxy } from './trusted-proxy.js';
