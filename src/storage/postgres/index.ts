// grantry/storage/postgres: PostgreSQL (pg), one schema per deployment. The contracts it implements (Storage,
// ManagedStorage, the repositories) and StorageUnavailableError are exported by the root, `grantry`.
export { PostgresStorage, openPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
export { createPostgresPool, type PostgresPoolOptions } from './postgres-pool.js';
