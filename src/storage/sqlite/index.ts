// grantry/storage/sqlite: one SQLite file (better-sqlite3). The contracts it implements (Storage, ManagedStorage,
// the repositories) and StorageUnavailableError are exported by the root, `grantry`.
export { SqliteStorage, openSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
