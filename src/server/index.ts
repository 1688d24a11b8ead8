// grantry/server: the ready-to-run server, for embedding or for building your own on the same parts.
export * from './config.js';
export * from './grantry-app.js';
export * from './key-store.js';
export * from './metrics.js';
export * from './node-listener.js';
export * from './rate-limiter.js';
export * from './server-store.js';
export * from './session.js';
export * from './start-server.js';
