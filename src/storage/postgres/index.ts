export * from './postgres-storage.js';
export * from './postgres-migrations.js';
export * from './postgres-admin.js';
export * from './postgres-token-repositories.js';
export * from '../storage-admin.js';
export * from '../managed-storage.js';
export * from '../session-repository.js';
export * from './postgres-session-repository.js';
